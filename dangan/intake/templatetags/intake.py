"""The 稽核 card on the dossier page: deadline, open findings, and the run button."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.intake import deadlines
from dangan.intake.models import Finding

register = template.Library()


@register.inclusion_tag("intake/dossier_card.html", takes_context=True)
def intake_card(context: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The dossier page has already checked that the user may see this dossier."""
    user = context["request"].user
    return {
        "dossier": dossier,
        # Reuse the checklist the dossier page already built (three queries saved).
        "deadline": deadlines.dossier_deadline(dossier, checklist=context.get("checklist")),
        "findings": list(
            dossier.findings.filter(status=Finding.Status.OPEN).select_related("responsible")
        ),
        "can_audit": policy.has_perm(user, perms.INTAKE_AUDIT),
        "csrf_token": context.get("csrf_token"),
    }
