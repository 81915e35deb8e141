"""The dossier's status card (状态与状态记录) on its page, kept out of the archives views."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.archives import lifecycle
from dangan.archives.lifecycle_views import lifecycle_context
from dangan.archives.models import ArchiveType, Dossier

register = template.Library()


@register.inclusion_tag("archives/_lifecycle_card.html", takes_context=True)
def lifecycle_card(context: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The current status with its effective date, the moves the viewer may make and the
    status record. The caller has already been allowed to see the dossier."""
    request = context.get("request")
    return {**lifecycle_context(getattr(request, "user", None), dossier), "request": request}


@register.simple_tag
def dossier_status(dossier: Dossier) -> str:
    """The dossier's status as its archive type names it (退房 for a hotel's 迁出)."""
    archive_type: ArchiveType | None = dossier.archive_type
    return lifecycle.status_label(archive_type, dossier.status)
