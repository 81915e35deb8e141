"""The result list of the search page, built in Python: a page shows up to 60 hits, and
a template loop over them cost more than finding them."""

from __future__ import annotations

import html
from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from dangan.search.selectors import Hit

register = template.Library()


@register.simple_tag
def hit_items(hits: Iterable[Hit]) -> SafeString:
    """One <li> per hit: the highlighted title (a link), the subtitle, why it matched.
    Titles and subtitles are already escaped and marked up (selectors.highlight), and
    pass conditional_escape unchanged; the URL and the reasons are escaped here."""
    items = []
    for hit in hits:
        reasons = (
            f' <span class="tag">{html.escape("、".join(hit.reasons))}</span>'
            if hit.reasons
            else ""
        )
        items.append(
            f'<li><a href="{html.escape(hit.url)}">{conditional_escape(hit.title)}</a> '
            f'<span class="sub">{conditional_escape(hit.subtitle)}</span>{reasons}</li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every part is escaped above
