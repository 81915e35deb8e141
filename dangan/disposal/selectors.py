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
    CustomerHold,
    DisposalItem,
    RegisterEntry,
)
from dangan.documents.models import Document

MAX_DUE = 5000


@dataclass(frozen=True)
class Due:
    """A dossier whose retention has ended, or one document of a dossier whose own
    retention (its checklist item's) has."""

    dossier: Dossier
    expires: datetime.date
    document: Document | None = None

    @property
    def kind(self) -> str:
        return "document" if self.document is not None else "dossier"

    @property
    def retention_code(self) -> str:
        if self.document is not None:
            return retention.document_code(self.document)
        return str(self.dossier.retention or self.dossier.archive_type.retention)

    @property
    def retention_text(self) -> str:
        return retention_label(self.retention_code)

    def as_dict(self) -> dict[str, Any]:
        d = self.dossier
        return {
            "kind": self.kind,
            "id": d.pk,
            "document": self.document.pk if self.document is not None else None,
            "piece_number": self.document.piece_number if self.document is not None else None,
            "archive_number": d.archive_number,
            "title": self.document.title if self.document is not None else d.title,
            "archive_type": d.archive_type.code,
            "status": d.status,
            "retention": self.retention_text,
            "expires": self.expires.isoformat(),
            "department": d.customer.department_id if d.customer else d.department_id,
        }


def _on_open_lists() -> QuerySet[DisposalItem]:
    return DisposalItem.objects.filter(disposal_list__status__in=("appraisal", "approval", "hold"))


def due_list(
    actor: User,
    *,
    today: datetime.date | None = None,
    q: str = "",
    archive_type: int | None = None,
    department: int | None = None,
) -> list[Due]:
    """Terminated and moved-out dossiers whose retention has ended, and documents whose own
    retention has, on no open list, oldest expiry first."""
    today = today or timezone.localdate()
    scope = policy.dossiers_for(actor).exclude(
        customer_id__in=CustomerHold.objects.filter(released_at__isnull=True).values("customer_id")
    )
    if q:
        scope = scope.filter(
            Q(archive_number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q)
        )
    if archive_type is not None:
        scope = scope.filter(archive_type_id=archive_type)
    if department is not None:
        scope = scope.filter(customer__department_id=department)
    dossiers = scope.filter(status__in=retention.CLOSED).exclude(retention__iexact="Y")
    dossiers = dossiers.exclude(
        pk__in=_on_open_lists().filter(document__isnull=True).values("dossier_id")
    )
    found = []
    rows = retention.with_closed_on(dossiers).select_related("archive_type", "customer")
    trigger_of = retention.triggers()
    for dossier in rows.order_by("id")[:MAX_DUE]:
        ends = retention.expires_on(dossier, trigger_of=trigger_of)
        if ends is not None and ends < today:
            found.append(Due(dossier, ends))
    found.extend(_documents_due(scope, today))
    return sorted(
        found,
        key=lambda due: (
            due.expires,
            due.dossier.archive_number,
            due.document.piece_number if due.document is not None else 0,
        ),
    )


# Dossiers whose documents are not listed one by one: gone, going, frozen, or out on loan.
NOT_FOR_DOCUMENTS = (
    Dossier.Status.DESTROYED,
    Dossier.Status.APPRAISAL,
    Dossier.Status.PENDING_DISPOSAL,
    Dossier.Status.LEGAL_HOLD,
    Dossier.Status.ON_LOAN,
)


def _documents_due(scope: QuerySet[Dossier], today: datetime.date) -> list[Due]:
    documents = (
        Document.objects.filter(dossier__in=scope.exclude(status__in=NOT_FOR_DOCUMENTS))
        .exclude(checklist_item__retention="")
        .exclude(checklist_item__retention__iexact="Y")
        .exclude(checklist_item__isnull=True)
        .exclude(state=Document.State.DESTROYED)
        .exclude(pk__in=_on_open_lists().filter(document__isnull=False).values("document_id"))
    )
    rows = retention.with_document_extension(documents).select_related(
        "checklist_item", "dossier__archive_type", "dossier__customer"
    )
    found = []
    for document in rows.order_by("id")[:MAX_DUE]:
        ends = retention.document_expires_on(document)
        if ends is not None and ends < today:
            found.append(Due(document.dossier, ends, document))
    return found


def register(*, q: str = "", year: int | None = None) -> QuerySet[RegisterEntry]:
    entries = RegisterEntry.objects.all()
    if q:
        entries = entries.filter(Q(archive_number__icontains=q) | Q(list_number__icontains=q))
    if year is not None:
        entries = entries.filter(destroyed_at__year=year)
    return entries.order_by("id")
