"""Adding documents and their scans to dossiers."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import volumes
from dangan.archives.models import ChecklistItem, Dossier, DossierPart
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, InvalidTransition
from dangan.documents import storage, watermark
from dangan.documents.models import Attachment, Blob, Document
from dangan.search import services as search_services


def clean_filename(name: str) -> str:
    """Refuse names with path separators or control characters; they are never paths."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise ApplicationError(_("文件名不能为空"), field="file")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ApplicationError(_("文件名不能包含路径分隔符(/ 或 \\)"), field="file")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ApplicationError(_("文件名不能包含控制字符"), field="file")
    if len(name) > 200:
        raise ApplicationError(_("文件名过长(最多200字)"), field="file")
    return name


_MAX_TEXT = 1_000_000


def pdf_text(blob: Blob, *, max_pages: int = 500, max_chars: int = _MAX_TEXT) -> str:
    """The text layer of a PDF scan, for search (OCR will fill the same field later).
    A PDF without a text layer, or one pypdf cannot read, simply yields no text."""
    if blob.content_type != "application/pdf":
        return ""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    parts: list[str] = []
    try:
        with storage.blob_open(blob) as handle:
            for page in PdfReader(handle).pages[:max_pages]:
                parts.append(page.extract_text() or "")
                if sum(map(len, parts)) >= max_chars:
                    break
    except (PyPdfError, ValueError, KeyError, OSError):
        return ""
    return "\n".join(parts)[:max_chars].replace("\x00", "")


@refusals_audited("create", "dossier")
def document_add(
    *,
    actor: User,
    dossier: Dossier,
    checklist_item: ChecklistItem | None,
    title: str = "",
    responsible: str = "",
    doc_date: datetime.date | None = None,
    pages: int | None = None,
    carrier: str = Document.Carrier.PAPER_COPY,
    remarks: str = "",
    file_name: str = "",
    file_chunks: Iterable[bytes] | None = None,
    part: DossierPart | None = None,
) -> Document:
    """File one document (件) in a dossier with an optional scan, in one of its dated
    parts (卷内分组) if given.

    The file is checked and stored before any row is written, and the rows are written
    in one transaction, so a failure leaves no document without its scan. The checks,
    the file and its text come before that transaction: it holds the dossier's lock (and
    on SQLite the database's one write lock) only for the rows (#22 item 9).
    """
    dossier = policy.access_dossier(actor, dossier.pk, action=perms.DOCUMENT_UPLOAD)
    if dossier.status in (Dossier.Status.DESTROYED, Dossier.Status.PENDING_DISPOSAL):
        raise ApplicationError(_("该档案已进入销毁流程,不能再添加文件"), field="dossier")
    if checklist_item is not None and checklist_item.archive_type_id != dossier.archive_type_id:
        raise ApplicationError(_("文件类型不属于该档案的清单"), field="document_type")
    if part is not None and part.dossier_id != dossier.pk:
        raise ApplicationError(_("该分组不属于此档案"), field="part")
    # A paper of a year closed for the dossier (年度立卷封卷), refused before its scan is
    # stored; checked again under the dossier's lock below (a close at the same time).
    _refuse_sealed(dossier.year_volume_id, doc_date)
    title = title.strip() or (checklist_item.name if checklist_item else "")
    if not title:
        raise ApplicationError(_("请填写文件题名或选择文件类型"), field="title")
    if carrier not in Document.Carrier.values:
        raise ApplicationError(_("载体类型无效"), field="carrier")
    if pages is not None and not 0 < pages <= 100000:
        raise ApplicationError(_("页数应为正整数"), field="pages")
    if doc_date is not None and doc_date > timezone.localdate() + datetime.timedelta(days=1):
        raise ApplicationError(_("文件日期不能晚于今天"), field="doc_date")
    written = None
    original_name = ""
    if file_chunks is not None:
        original_name = clean_filename(file_name)
        spooled = storage.spool(file_chunks)
        try:
            written = storage.blob_write(spooled)
        finally:
            spooled.handle.close()
    text = pdf_text(written) if written is not None else ""
    with transaction.atomic():
        # Lock the dossier row so piece numbers (件号) stay gap-free under concurrency (its
        # key is not changed: FOR NO KEY UPDATE, which rows referring to it do not wait for).
        status, sealed_in = (
            Dossier.objects.select_for_update(no_key=True)
            .filter(pk=dossier.pk)
            .values_list("status", "year_volume_id")
            .get()
        )
        if status in (Dossier.Status.DESTROYED, Dossier.Status.PENDING_DISPOSAL):
            raise ApplicationError(_("该档案已进入销毁流程,不能再添加文件"), field="dossier")
        _refuse_sealed(sealed_in, doc_date)
        last = dossier.documents.aggregate(m=Max("piece_number"))["m"] or 0
        document = Document.objects.create(
            dossier=dossier,
            checklist_item=checklist_item,
            part=part,
            piece_number=last + 1,
            title=title[:200],
            responsible=responsible.strip()[:100],
            doc_date=doc_date,
            pages=pages,
            carrier=carrier,
            remarks=remarks.strip()[:200],
            text=text,
            created_by=actor,
        )
        detail: dict[str, object] = {
            "dossier": dossier.archive_number,
            "piece": document.piece_number,
        }
        if part is not None:
            detail["part"] = part.pk
        if written is not None:
            blob = storage.blob_save(written)
            Attachment.objects.create(
                document=document, blob=blob, original_name=original_name, uploaded_by=actor
            )
            detail.update(sha256=blob.sha256, size=blob.size, name=original_name)
        audit_record(actor=actor, action="create", obj=document, detail=detail)
        # The sign-offs the checklist item asks for before the piece counts (issue 27 §6).
        from dangan.confirmations.services import confirmations_open

        confirmations_open(actor=actor, document=document)
        search_services.index_after_commit(search_services.index_document, document.pk)
    return document


def _refuse_sealed(year_volume_id: int | None, doc_date: datetime.date | None) -> None:
    """A paper dated in or before the year a dossier's volumes were closed in is refused
    (archives.volumes); the refusal is recorded by document_add's refusals_audited."""
    message = volumes.frozen_message(year_volume_id, doc_date)
    if message:
        raise InvalidTransition(message, field="doc_date")


@transaction.atomic
def attachment_add(
    *, actor: User, document: Document, file_name: str, file_chunks: Iterable[bytes]
) -> Attachment:
    document = policy.access_document(actor, document.pk, action=perms.DOCUMENT_UPLOAD)
    original_name = clean_filename(file_name)
    spooled = storage.spool(file_chunks)
    try:
        blob = storage.blob_store(spooled)
    finally:
        spooled.handle.close()
    attachment = Attachment.objects.create(
        document=document, blob=blob, original_name=original_name, uploaded_by=actor
    )
    text = pdf_text(blob)
    if text:
        # Locked: two scans added at once must not overwrite each other's text.
        document = Document.objects.select_for_update().get(pk=document.pk)
        document.text = "\n".join(filter(None, [document.text, text]))[:_MAX_TEXT]
        document.save(update_fields=["text"])
    audit_record(
        actor=actor,
        action="attach",
        obj=document,
        detail={"sha256": blob.sha256, "size": blob.size, "name": original_name},
    )
    search_services.index_after_commit(search_services.index_document, document.pk)
    return attachment


@dataclass(frozen=True)
class Copy:
    """A produced copy of a scan: the stored bytes with a visible watermark."""

    attachment: Attachment
    data: bytes
    content_type: str
    watermark: str


def attachment_download(*, actor: User, attachment_id: object) -> Copy:
    """Check access to a scan, stamp the copy with who, when and under which request,
    and record the download before any byte is sent (SPEC C4; GB/T 35273 §7.1).

    The stored file is never changed; every copy that leaves the server is marked."""
    attachment = policy.access_attachment(actor, attachment_id)
    grant = (
        policy.active_grants(actor, "dossier", perms.FILE_DOWNLOAD)
        .filter(object_id=attachment.document.dossier_id)
        .order_by("-expires_at")
        .first()
    )
    request_number = grant.reason.split(" ", 1)[0] if grant is not None else ""
    text = watermark.watermark_text(
        username=actor.username, at=timezone.now(), request_number=request_number
    )
    try:
        original = storage.blob_read(attachment.blob)
    except storage.BlobUnreadable as exc:
        _unreadable(actor, attachment, exc)
        raise
    try:
        data, content_type = watermark.watermark(original, attachment.blob.content_type, text)
    except watermark.WatermarkError as exc:
        raise ApplicationError(str(exc), field="file") from None
    audit_record(
        actor=actor,
        action="download",
        obj=attachment.document,
        detail={"attachment": attachment.pk, "sha256": attachment.blob_id, "watermark": text},
    )
    return Copy(attachment, data, content_type, text)


def _unreadable(actor: User, attachment: Attachment, exc: storage.BlobUnreadable) -> None:
    """A scan that failed its check on the way out: the refused download is recorded and
    the system administrators are told (once a day per file), so it is restored from a
    backup before anyone else needs it."""
    audit_record(
        actor=actor,
        action="download",
        obj=attachment.document,
        outcome=AuditEntry.Outcome.FAILED,
        detail={"attachment": attachment.pk, "sha256": attachment.blob_id, "reason": exc.reason},
    )
    exc.audited = True
    blob_damage_notify(sha256=attachment.blob_id, reason=exc.reason)


def blob_damage_notify(*, sha256: str, reason: str) -> int:
    """Tell every system administrator that a stored file is missing or damaged: once per
    file, reason and day. Returns how many notifications were new."""
    from dangan.circulation.services import notify

    text = (
        _("存储文件缺失:sha256=%(sha)s。请从最近的备份恢复该文件,然后运行 dangan verify。")
        if reason == "missing"
        else _("存储文件已损坏:sha256=%(sha)s。请从最近的备份恢复该文件,然后运行 dangan verify。")
    ) % {"sha": sha256}
    day = timezone.localdate().isoformat()
    sent = 0
    for admin in policy.office_holders("sysadmin", None):
        key = f"blob:{reason}:{sha256[:16]}:{day}:{admin.pk}"
        sent += notify(user=admin, text=str(text), key=key) is not None
    return sent


# --- void (作废) and supersede (替换) ---------------------------------------------------

# While the paper is out, destroyed, waiting to be destroyed or frozen, its documents
# stay as they are (the states engineer's table adds legal_hold; listed by value here).
FROZEN_STATUSES = frozenset({"on_loan", "destroyed", "pending_disposal", "legal_hold"})


def _lock_for_state_change(actor: User, document: Document, reason: str, target: str) -> Document:
    """The document, locked with its dossier, once every check of a void or a supersede
    has passed: the actor may change the dossier, the reason is given, the document is
    valid and its dossier is neither on loan nor destroyed."""
    document = policy.access_document(actor, document.pk)
    policy.access_dossier(actor, document.dossier_id, action=perms.DOSSIER_CHANGE)
    if not reason.strip():
        raise ApplicationError(_("请填写原因"), field="reason")
    if len(reason.strip()) > 500:
        raise ApplicationError(_("原因不超过 500 字"), field="reason")
    dossier = Dossier.objects.select_for_update().get(pk=document.dossier_id)
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("checklist_item")
        .get(pk=document.pk)
    )
    if dossier.status in FROZEN_STATUSES:
        raise InvalidTransition(
            _("档案当前状态为“%(status)s”,不能作废或替换其中的文件")
            % {"status": dossier.get_status_display()}
        )
    if not document.can_move_to(target):
        raise InvalidTransition(
            _("该文件状态为“%(state)s”,不能再作废或替换") % {"state": document.get_state_display()}
        )
    sealed = volumes.frozen_message(
        dossier.year_volume_id, document.doc_date or timezone.localdate(document.created_at)
    )
    if sealed:
        raise InvalidTransition(sealed)
    document.dossier = dossier
    return document


def _mark(document: Document, *, actor: User, state: str, reason: str) -> None:
    document.state = state
    document.state_reason = reason.strip()
    document.state_changed_at = timezone.now()
    document.state_changed_by = actor
    document.save(
        update_fields=[
            "state",
            "state_reason",
            "state_changed_at",
            "state_changed_by",
            "superseded_by",
        ]
    )


@refusals_audited("void", "document")
@transaction.atomic
def document_void(*, actor: User, document: Document, reason: str) -> Document:
    """Void (作废) a filed document with a reason: it stays in the dossier, marked, and no
    longer counts for the checklist; the intake findings follow (a required item left
    without a valid document is missing again)."""
    document = _lock_for_state_change(actor, document, reason, Document.State.VOID)
    _mark(document, actor=actor, state=Document.State.VOID, reason=reason)
    audit_record(
        actor=actor,
        action="void",
        obj=document,
        detail={
            "dossier": document.dossier.archive_number,
            "piece": document.piece_number,
            "reason": document.state_reason,
        },
    )
    from dangan.intake import services as intake_services  # intake builds on documents

    intake_services.findings_after_void(actor=actor, document=document)
    search_services.index_after_commit(search_services.index_document, document.pk)
    return document


@refusals_audited("supersede", "document")
@transaction.atomic
def document_supersede(
    *,
    actor: User,
    document: Document,
    reason: str,
    title: str = "",
    responsible: str = "",
    doc_date: datetime.date | None = None,
    pages: int | None = None,
    carrier: str = "",
    remarks: str = "",
    file_name: str = "",
    file_chunks: Iterable[bytes] | None = None,
) -> Document:
    """Replace (替换) a filed document by a corrected one of the same checklist item: the
    new document is filed (document_add, with its scan), the old one stays, marked
    superseded and linked to it; findings on the old document close as fixed."""
    old = _lock_for_state_change(actor, document, reason, Document.State.SUPERSEDED)
    new = document_add(
        actor=actor,
        dossier=old.dossier,
        checklist_item=old.checklist_item,
        part=old.part,  # the same visit or stay (卷内分组)
        title=title or old.title,
        responsible=responsible or old.responsible,
        doc_date=doc_date or old.doc_date,
        pages=pages if pages is not None else old.pages,
        carrier=carrier or old.carrier,
        remarks=remarks,
        file_name=file_name,
        file_chunks=file_chunks,
    )
    old.superseded_by = new
    _mark(old, actor=actor, state=Document.State.SUPERSEDED, reason=reason)
    audit_record(
        actor=actor,
        action="supersede",
        obj=old,
        detail={
            "dossier": old.dossier.archive_number,
            "piece": old.piece_number,
            "by": new.pk,
            "by_piece": new.piece_number,
            "reason": old.state_reason,
        },
    )
    from dangan.intake import services as intake_services  # intake builds on documents

    intake_services.findings_after_supersede(actor=actor, old=old, new=new)
    search_services.index_after_commit(search_services.index_document, old.pk)
    return new
