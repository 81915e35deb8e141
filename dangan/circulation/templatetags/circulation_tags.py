"""The "查阅 / 借阅 / 复制" card on a dossier's page, without touching the archives views."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.circulation.selectors import open_loan_for

register = template.Library()


@register.inclusion_tag("circulation/_dossier_card.html", takes_context=True)
def circulation_card(context: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The dossier's open loan (one query) and the links the viewer may follow. The
    caller has already been allowed to see the dossier."""
    request = context.get("request")
    user = getattr(request, "user", None)
    loan = open_loan_for(dossier)
    return {
        "dossier": dossier,
        "loan": loan,
        "overdue": loan is not None and loan.due_at < timezone.now(),
        "can_lend": policy.has_perm(user, perms.CIRCULATION_LEND) if user else False,
    }
