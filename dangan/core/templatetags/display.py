"""Template filters for codes people read: {{ dossier.retention|retention }},
{{ size|human_size }}."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.core import display

register = template.Library()


@register.filter
def retention(code: Any) -> str:
    return display.retention_label(code)


@register.filter
def human_size(size: Any) -> str:
    return display.human_size(size)
