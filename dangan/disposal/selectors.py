"""Reads: the due list (到期档案) within the reader's scope, and the register."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.core.display import retention_label
from dangan.disposal import retention
from dangan.disposal.models import (
    ApprovalStep,
    CustomerHold,
    DisposalItem,
    DisposalList,
    RegisterEntry,
)

MAX_DUE = 5000


@dataclass(frozen=True)
class Due:
    dossier: Dossier
    expires: datetime.date

    def as_dict(self) -> dict[str, Any]:
        d = self.dossier
        return {
            "id": d.pk,
            "archive_number": d.archive_number,
            "title": d.title,
            "archive_type": d.archive_type.code,
            "status": d.status,
            "retention": retention_label(d.retention or d.archive_type.retention),
            "expires": self.expires.isoformat(),
            "department": d.customer.department_id if d.customer else None,
        }


def due_list(
    actor: User,
    *,
    today: datetime.date | None = None,
    q: str = "",
    archive_type: int | None = None,
    department: int | None = None,
) -> list[Due]:
    """Terminated and moved-out dossiers whose retention has ended, on no open list,
    oldest expiry first."""
    today = today or timezone.localdate()
    dossiers = policy.dossiers_for(actor).filter(status__in=retention.CLOSED)
    dossiers = dossiers.exclude(
        customer_id__in=CustomerHold.objects.filter(released_at__isnull=True).values("customer_id")
    )
    dossiers = dossiers.exclude(retention__iexact="Y").exclude(
        pk__in=DisposalItem.objects.filter(
            disposal_list__status__in=("appraisal", "approval", "hold")
        ).values("dossier_id")
    )
    if q:
        dossiers = dossiers.filter(
            Q(archive_number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q)
        )
    if archive_type is not None:
        dossiers = dossiers.filter(archive_type_id=archive_type)
    if department is not None:
        dossiers = dossiers.filter(customer__department_id=department)
    found = []
    rows = retention.with_closed_on(dossiers).select_related("archive_type", "customer")
    trigger_of = retention.triggers()
    for dossier in rows.order_by("id")[:MAX_DUE]:
        ends = retention.expires_on(dossier, trigger_of=trigger_of)
        if ends is not None and ends < today:
            found.append(Due(dossier, ends))
    return sorted(found, key=lambda due: (due.expires, due.dossier.archive_number))


def register(*, q: str = "", year: int | None = None) -> QuerySet[RegisterEntry]:
    entries = RegisterEntry.objects.all()
    if q:
        entries = entries.filter(Q(archive_number__icontains=q) | Q(list_number__icontains=q))
    if year is not None:
        entries = entries.filter(destroyed_at__year=year)
    return entries.order_by("id")


def waiting_step(found: DisposalList) -> ApprovalStep | None:
    """The approval step a list in approval waits on (the lowest position not yet taken)."""
    return found.steps.filter(status=ApprovalStep.Status.WAITING).order_by("position").first()
