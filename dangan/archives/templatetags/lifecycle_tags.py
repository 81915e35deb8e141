"""The dossier page's cards of issue 23, kept out of the archives views: the status
(状态与状态记录) and the dated parts (卷内分组)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives import lifecycle, parts
from dangan.archives.forms import PartForm
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


@register.inclusion_tag("archives/_parts_card.html", takes_context=True)
def parts_card(context: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """卷内分组: the dossier's dated parts and, for who may file documents, a form to open
    one (a service visit, a stay) instead of a new dossier."""
    request = context.get("request")
    user = getattr(request, "user", None)
    may_add = policy.has_perm(user, perms.DOCUMENT_UPLOAD) if user else False
    return {
        "dossier": dossier,
        "parts": parts.dossier_parts(dossier),
        "form": PartForm(initial={"date": timezone.localdate()}) if may_add else None,
        "request": request,
    }
