"""The "打印" card on a dossier's page (bag cover, lists, labels), without touching the
archives views."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.archives.models import Dossier

register = template.Library()


@register.inclusion_tag("paper/_dossier_card.html")
def paper_card(dossier: Dossier) -> dict[str, Any]:
    """The caller has already been allowed to see the dossier: so may it print its paper."""
    return {"dossier": dossier}
