from __future__ import annotations

from typing import Any

from django import template

from dangan.disposal import retention

register = template.Library()


@register.simple_tag
def retention_line(dossier: Any) -> str:
    """The dossier's retention in words, with the day it ends when known."""
    return retention.describe(dossier)
