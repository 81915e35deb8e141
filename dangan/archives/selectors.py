from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from dangan.accounts import policy
from dangan.archives.models import ArchiveType, Dossier
from dangan.documents.models import Document


def dossier_documents(dossier: Dossier) -> QuerySet[Document]:
    """卷内文件 in the order the archive type prescribes."""
    docs = dossier.documents.select_related("checklist_item").prefetch_related("attachments")
    if dossier.archive_type.document_order == ArchiveType.DocumentOrder.NEWEST_FIRST:
        return docs.order_by(F("doc_date").desc(nulls_last=True), "-created_at", "-piece_number")
    return docs.order_by(
        F("checklist_item__position").asc(nulls_last=True), "doc_date", "piece_number"
    )


def dossier_list(actor: Any, *, filters: dict[str, Any]) -> QuerySet[Dossier]:
    """Dossiers in the actor's reach, filtered; in cabinet order when one type is chosen
    and its template says how bags are placed (e.g. building → unit → floor)."""
    qs = policy.dossiers_for(actor).select_related("customer", "archive_type")
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
        keys = [KeyTextTransform(key, "fields") for key in archive_type.placement]
        return qs.order_by(*keys, "archive_number")
    return qs.order_by("-created_at", "-id")
