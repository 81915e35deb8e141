from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangan.accounts import policy
from dangan.accounts.models import Department
from dangan.archives.checklist import Checklist
from dangan.archives.models import ArchiveType, Dossier
from dangan.core.errors import ApplicationError, NotFound
from dangan.documents.models import Document


def archive_type_by_key(
    key: Any, field: str = "archive_type", *, missing: int = 400
) -> ArchiveType:
    """An archive type named by its category code (CAR-SALE) or its id, as the API, the
    forms' hidden inputs and the CLI give it; else a field-named 400 (or, with
    `missing=404`, the path's NotFound)."""
    text = str(key or "").strip().replace("\x00", "")[:40]
    found = ArchiveType.objects.filter(code=text).first()
    if found is None and text.isdigit():
        found = ArchiveType.objects.filter(pk=int(text)).first()
    if found is None:
        if missing == 404:
            raise NotFound(_("档案类型不存在"))
        raise ApplicationError(_("未知的档案类型"), field=field)
    return found


def department_by_code(code: Any, field: str = "department") -> Department | None:
    """The department of a code (XS1); None for none given; an unknown one is a
    field-named error, never silently another department."""
    text = str(code or "").strip()[:32]
    if not text:
        return None
    found = Department.objects.filter(code=text).first()
    if found is None:
        raise ApplicationError(_("部门不存在"), field=field)
    return found


def dossier_documents(dossier: Dossier, checklist: Checklist) -> list[Document]:
    """卷内文件 in the order the archive type prescribes, from the documents the checklist
    already loaded (with their attachments): no second query for the same rows."""
    position = {row.item.pk: row.item.position for row in checklist.rows}
    for row in checklist.rows:
        for doc in row.documents:
            doc.checklist_item = row.item  # loaded already: its retention shows without a query
    documents = [doc for row in checklist.rows for doc in row.documents]
    documents += checklist.other_documents
    if dossier.archive_type.document_order == ArchiveType.DocumentOrder.NEWEST_FIRST:
        # Newest first; undated documents last, then by filing time and piece number.
        dated = sorted(
            (d for d in documents if d.doc_date is not None),
            key=lambda d: (d.doc_date, d.created_at, d.piece_number),
            reverse=True,
        )
        undated = sorted(
            (d for d in documents if d.doc_date is None),
            key=lambda d: (d.created_at, d.piece_number),
            reverse=True,
        )
        return dated + undated
    far = len(position) + 1  # documents outside the checklist come after it
    return sorted(
        documents,
        key=lambda d: (
            position.get(d.checklist_item_id, far) if d.checklist_item_id else far,
            d.doc_date or datetime.date.max,
            d.piece_number,
        ),
    )


def dossier_list(actor: Any, *, filters: dict[str, Any]) -> QuerySet[Dossier]:
    """Dossiers in the actor's reach, filtered; in cabinet order when one type is chosen
    and its template says how bags are placed (e.g. building → unit → floor)."""
    qs = policy.dossiers_for(actor).select_related("customer", "archive_type", "department")
    archive_type = filters.get("archive_type")
    if archive_type:
        qs = qs.filter(archive_type=archive_type)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("confidentiality"):
        qs = qs.filter(confidentiality=filters["confidentiality"])
    if filters.get("room"):
        qs = qs.filter(location_room=filters["room"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(archive_number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q)
        )
    if archive_type and archive_type.placement:
        # Natural order of the placement fields (locations.natural): 1号楼 before 14号楼.
        return qs.order_by("placement_key", "archive_number")
    return qs.order_by("-created_at", "-id")
