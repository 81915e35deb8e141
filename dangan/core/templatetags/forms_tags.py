"""Form pieces built in Python: a select's options are a loop with a condition per
option, the costliest part of rendering a filter form (a template node per option and
per test)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """<option> elements for (value, label) pairs, the one whose value equals `selected`
    (compared as text, as a query string gives it) marked selected. Escaped."""
    chosen = "" if selected is None else str(selected)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == chosen else "", label) for value, label in choices),
    )
