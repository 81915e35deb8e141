from __future__ import annotations

from django.db.models import F, QuerySet

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
