"""The "移交记录" card on the dossier page: who holds the bag now, the last signed
hand-over, and the open batch it is travelling in, if any."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.archives.models import Dossier
from dangan.handover import selectors

register = template.Library()


@register.inclusion_tag("handover/_dossier_card.html")
def handover_card(dossier: Dossier) -> dict[str, Any]:
    return {
        "custody": selectors.custody_of(dossier.pk),
        "last": selectors.last_signed(dossier.pk),
        "open_item": selectors.open_item_for(dossier.pk),
    }
