"""Confirmations of filed pieces (issue 27 §6). When a piece is filed under a checklist item
that names confirming roles, its chain of sign-offs is laid out on the one approval engine
(dangan.circulation.approvals, the subject dangan.confirmations.approval): one step per
role, in order, the first pending. The piece counts on the checklist only when every one is
given. Each is signed by a holder of its role (in the customer's or the filer's department
where the item says so) who can see the dossier, never by the filer, in turn; a refusal
ends the chain and sends the piece back to the filer with the reason. A step nobody can
sign, or left longer than the archive type allows, goes to the next level like any other
approval step (the worker's escalation run).

The API and the pages speak of confirmations as before: a step's id, and its status as
waiting / confirmed / refused."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep
from dangan.confirmations.approval import ConfirmationSubject
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.documents.models import Document
from dangan.rules.services import archive_type_version

NOTE_MAX = 500
Status = ApprovalStep.Status

# A sign-off's status as the API and the pages name it (the engine's step status).
WAITING, CONFIRMED, REFUSED = "waiting", "confirmed", "refused"
SHOWN_STATUS: dict[str, str] = {Status.APPROVED: CONFIRMED, Status.DENIED: REFUSED}
STATUS_LABELS = {
    WAITING: gettext_lazy("待确认"),
    CONFIRMED: gettext_lazy("已确认"),
    REFUSED: gettext_lazy("已退回"),
}


def status_of(step: ApprovalStep) -> str:
    """waiting (its turn or not yet, or never after a refusal), confirmed or refused."""
    return SHOWN_STATUS.get(step.status, WAITING)


def confirmations_open(*, actor: User, document: Document) -> list[ApprovalStep]:
    """Called by document_add in its transaction: the sign-offs the piece's checklist item
    asks for (none for a piece outside the checklist), the rules' version in force
    recorded on each; the first signer is told."""
    item = document.checklist_item
    if item is None or not item.confirm:
        return []
    version = archive_type_version(document.dossier.archive_type)
    return approvals.chain_open(
        ConfirmationSubject(document), now=timezone.now(), rule_version=version
    )


def waiting_for(actor: User) -> QuerySet[ApprovalStep]:
    """The sign-offs whose turn it is and that the actor may sign (the office's holder, or
    the role it was passed to), on valid pieces of dossiers the actor may see and that the
    actor did not file: the queue of the actor's roles. A few queries however long."""
    return (
        approvals.waiting_for(actor, "document")
        .filter(
            document__dossier__in=policy.dossiers_for(actor).values("pk"),
            document__state=Document.State.VALID,
        )
        .exclude(document__created_by=actor)
        .select_related(
            "document__dossier__customer", "document__checklist_item", "rule_version", "department"
        )
        .order_by("document__created_at", "document_id", "position")
    )


def done_by(actor: User, limit: int = 20) -> list[ApprovalStep]:
    """The actor's latest sign-offs, newest first."""
    return list(
        ApprovalStep.objects.filter(approver=actor, document__isnull=False)
        .select_related("document__dossier")
        .order_by("-decided_at", "-id")[:limit]
    )


def access_confirmation(actor: User, pk: Any) -> ApprovalStep:
    """A sign-off on a dossier the actor may see; else "no such record"."""
    text = str(pk).strip()
    found = (
        ApprovalStep.objects.select_related("document")
        .filter(pk=int(text), document__isnull=False)
        .first()
        if text.isdigit() and len(text) < 19
        else None
    )
    document = found.document if found is not None else None
    if (
        found is None
        or document is None
        or not policy.dossiers_for(actor).filter(pk=document.dossier_id).exists()
    ):
        raise NotFound(_("记录不存在或您无权查看"))
    return found


def _sign(actor: User, pk: Any, note: str, *, confirm: bool) -> ApprovalStep:
    found = access_confirmation(actor, pk)
    step = ApprovalStep.objects.select_for_update().get(pk=found.pk)
    if step.status in (Status.APPROVED, Status.DENIED):
        raise InvalidTransition(
            _("已处理:%(s)s") % {"s": STATUS_LABELS[status_of(step)]}, field="status"
        )
    if step.status != Status.PENDING:
        raise InvalidTransition(_("还没有轮到这一步确认"), field="status")
    if not approvals.may_sign(actor, step):
        raise ApplicationError(_("您不是这一步的确认人"), field="status")
    document = Document.objects.select_related(
        "dossier__archive_type", "created_by", "checklist_item"
    ).get(pk=found.document.pk if found.document else 0)
    if document.created_by_id == actor.pk:
        raise ApplicationError(_("不能确认自己归档的文件"), field="status")
    note = " ".join(str(note or "").split())
    if not confirm and not note:
        raise ApplicationError(_("退回须说明原因"), field="note")
    if len(note) > NOTE_MAX:
        raise ApplicationError(_("意见最多500字"), field="note")
    subject = ConfirmationSubject(document)
    now = timezone.now()
    if confirm:
        approvals.step_approve(subject, step, actor=actor, note=note, now=now)
    else:
        approvals.step_deny(subject, step, actor=actor, note=note, now=now)
    audit_record(
        actor=actor,
        action="document_confirm" if confirm else "document_refuse",
        obj=document,
        detail={"role": step.role, "position": step.position, "note": note},
    )
    if not confirm:
        _notify_filer(document, note)
    step.document = document
    return step


@refusals_audited("document_confirm", "confirmation_id")
@transaction.atomic
def document_confirm(*, actor: User, confirmation_id: Any, note: str = "") -> ApprovalStep:
    return _sign(actor, confirmation_id, note, confirm=True)


@refusals_audited("document_refuse", "confirmation_id")
@transaction.atomic
def document_refuse(*, actor: User, confirmation_id: Any, note: str) -> ApprovalStep:
    return _sign(actor, confirmation_id, note, confirm=False)


def _notify_filer(document: Document, note: str) -> None:
    from dangan.circulation.services import notify

    if document.created_by is None:
        return
    notify(
        user=document.created_by,
        text=_("%(n)s 的“%(t)s”被退回:%(r)s")
        % {"n": document.dossier.archive_number, "t": document.title, "r": note},
        link=reverse("archives:dossier", kwargs={"pk": document.dossier_id}),
    )


def confirmation_out(step: ApprovalStep) -> dict[str, Any]:
    """A sign-off as the API answers it (the fields of the confirmations before the engine,
    and where it was passed to)."""
    document = step.document
    assert document is not None  # noqa: S101 - a sign-off's step always names its piece
    return {
        "id": step.pk,
        "document": step.document_id,
        "dossier": document.dossier_id,
        "archive_number": document.dossier.archive_number,
        "title": document.title,
        "position": step.position,
        "role": step.role,
        "department": step.department_id,
        "status": status_of(step),
        "by": step.approver.username if step.approver else None,
        "at": step.decided_at,
        "note": step.note,
        "rule_version": step.rule_version.number if step.rule_version else None,
        "escalated_to": step.escalated_to or None,
        "escalation": step.escalation or None,
    }
