"""The result list of the search page, built in Python: a page shows up to 60 hits, and
a template loop over them cost more than finding them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dangan.search.selectors import Hit

register = template.Library()


@register.simple_tag
def hit_items(hits: Iterable[Hit]) -> SafeString:
    """One <li> per hit: the highlighted title (a link), the subtitle, why it matched.
    Titles and subtitles are already escaped and marked up (selectors.highlight);
    the reasons are escaped here."""
    return format_html_join(
        "\n",
        '<li><a href="{}">{}</a> <span class="sub">{}</span>{}</li>',
        (
            (
                hit.url,
                hit.title,
                hit.subtitle,
                format_html(' <span class="tag">{}</span>', "、".join(hit.reasons))
                if hit.reasons
                else "",
            )
            for hit in hits
        ),
    )
