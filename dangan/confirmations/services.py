"""Confirmations of filed pieces (issue 27 §6). When a piece is filed under a checklist item
that names confirming roles, one waiting confirmation per role is made, in order; the
piece counts on the checklist only when every one is confirmed. Each confirmation is
signed by a holder of its role (in the customer's or the filer's department where the
item says so), in turn; a refusal sends the piece back to the filer with the reason.

The steps have the approval rules' shape and are bound to departments the same way
(dangan.circulation.rules), and who holds one is the approval engine's answer
(dangan.circulation.approvals: its holders, never the filer; a step nobody holds goes to
its configured next level, else the archivist, else the director), so that one way of
naming "who signs" serves every chain."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation import approvals
from dangan.circulation.rules import validate_steps
from dangan.confirmations.models import Confirmation
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.documents.models import Document
from dangan.rules.services import archive_type_version

NOTE_MAX = 500
FALLBACK_ROLE = "archivist"


def clean_steps(steps: Any) -> list[dict[str, str]]:
    """A checklist item's `confirm`: a list of {role, department}; the roles must exist."""
    from dangan.accounts.models import Role

    cleaned = validate_steps(steps or [])
    known = set(Role.objects.values_list("code", flat=True))
    for step in cleaned:
        if known and step["role"] not in known:
            raise ApplicationError(_("未知的确认角色:%(r)s") % {"r": step["role"]}, field="confirm")
    return cleaned


def _department(step: dict[str, str], document: Document, filer: User) -> Department | None:
    if step["department"] == "requester":
        department: Department | None = filer.department
        return department
    if step["department"] == "customer":
        owner: Department | None = document.dossier.owner_department
        return owner
    return None


def _signable(role: str, department_id: int | None, document: Document, filer: User) -> bool:
    """Whether someone active holds the role there, is not the filer, and may see the
    piece's dossier."""
    return any(
        policy.dossiers_for(user).filter(pk=document.dossier_id).exists()
        for user in approvals.holders(role, department_id, {filer.pk})[:20]
    )


class _Filed(approvals.Subject):
    """The filed piece as the engine's escalation_target needs it: never its filer, and
    only someone who sees its dossier."""

    holder_permission = perms.DOSSIER_VIEW
    obj: Document

    @property
    def requester(self) -> User:
        return self.obj.created_by  # type: ignore[return-value]

    def can_open(self, user: User) -> bool:
        return policy.dossiers_for(user).filter(pk=self.obj.dossier_id).exists()

    def department(self, which: str) -> Department | None:
        return None

    @property
    def is_open(self) -> bool:
        return True

    @property
    def since(self) -> datetime.datetime:
        return self.obj.created_at

    @property
    def what(self) -> str:
        return self.obj.title

    @property
    def link(self) -> str:
        return ""


def confirmations_open(*, actor: User, document: Document) -> list[Confirmation]:
    """Called by document_add in its transaction: the waiting confirmations the piece's
    checklist item asks for (none for a piece outside the checklist)."""
    item = document.checklist_item
    if item is None or not item.confirm:
        return []
    made = []
    version = archive_type_version(document.dossier.archive_type)
    for position, step in enumerate(validate_steps(item.confirm), start=1):
        role, department = step["role"], _department(step, document, actor)
        # Never a step nobody can sign: a department without a holder of the role goes to
        # any holder of it, a role nobody holds to the engine's next level (the step's
        # escalate_to, the archive room, the director).
        if department is not None and not _signable(role, department.pk, document, actor):
            department = None
        if department is None and not _signable(role, None, document, actor):
            role = (
                approvals.escalation_target(
                    _Filed(document),
                    role=role,
                    department_id=None,
                    next_level=step.get("escalate_to", ""),
                )
                or FALLBACK_ROLE
            )
        made.append(
            Confirmation.objects.create(
                document=document,
                position=position,
                role=role,
                department=department,
                rule_version=version,
            )
        )
    _notify_next(document)
    return made


def waiting_for(actor: User) -> QuerySet[Confirmation]:
    """The confirmations whose turn it is and that the actor may sign, on dossiers the
    actor may see (the queue of the actor's roles)."""
    roles = [role.code for role in policy.roles_of(actor)]
    mine = Confirmation.objects.filter(status=Confirmation.Status.WAITING, role__in=roles).filter(
        document__dossier__in=policy.dossiers_for(actor).values("pk")
    )
    department = getattr(actor, "department_id", None)
    anywhere = mine.filter(department__isnull=True)
    mine = anywhere | mine.filter(department_id=department) if department else anywhere
    # Its turn: no earlier sign-off of the same piece still open (one query for the whole
    # queue, not one per confirmation).
    return (
        Confirmation.objects.filter(pk__in=mine.values("pk"))
        .exclude(Exists(_earlier_open()))
        .select_related("document__dossier__customer", "document__checklist_item", "rule_version")
        .order_by("created_at", "id")
    )


def _earlier_open() -> QuerySet[Confirmation]:
    """The sign-offs before the outer one on the same piece still waiting or refused."""
    return Confirmation.objects.filter(
        document_id=OuterRef("document_id"),
        position__lt=OuterRef("position"),
        status__in=[Confirmation.Status.WAITING, Confirmation.Status.REFUSED],
    )


def _is_turn(confirmation: Confirmation) -> bool:
    return (
        not Confirmation.objects.filter(pk=confirmation.pk).filter(Exists(_earlier_open())).exists()
    )


def access_confirmation(actor: User, pk: Any) -> Confirmation:
    text = str(pk).strip()
    found = (
        Confirmation.objects.select_related("document__dossier").filter(pk=int(text)).first()
        if text.isdigit()
        else None
    )
    if (
        found is None
        or not policy.dossiers_for(actor).filter(pk=found.document.dossier_id).exists()
    ):
        raise NotFound(_("记录不存在或您无权查看"))
    return found


def _sign(actor: User, pk: Any, note: str, status: str) -> Confirmation:
    found = access_confirmation(actor, pk)
    confirmation = Confirmation.objects.select_for_update().get(pk=found.pk)
    if confirmation.status != Confirmation.Status.WAITING:
        raise InvalidTransition(
            _("已处理:%(s)s") % {"s": confirmation.get_status_display()}, field="status"
        )
    if not _is_turn(confirmation):
        raise InvalidTransition(_("还没有轮到这一步确认"), field="status")
    if not approvals.holds(actor, confirmation.role, confirmation.department_id):
        raise ApplicationError(_("您不是这一步的确认人"), field="status")
    if confirmation.document.created_by_id == actor.pk:
        raise ApplicationError(_("不能确认自己归档的文件"), field="status")
    note = " ".join(str(note or "").split())
    if status == Confirmation.Status.REFUSED and not note:
        raise ApplicationError(_("退回须说明原因"), field="note")
    if len(note) > NOTE_MAX:
        raise ApplicationError(_("意见最多500字"), field="note")
    confirmation.status, confirmation.by, confirmation.at, confirmation.note = (
        status,
        actor,
        timezone.now(),
        note,
    )
    confirmation.save(update_fields=["status", "by", "at", "note"])
    document = confirmation.document
    audit_record(
        actor=actor,
        action="document_confirm" if status == Confirmation.Status.CONFIRMED else "document_refuse",
        obj=document,
        detail={"role": confirmation.role, "position": confirmation.position, "note": note},
    )
    if status == Confirmation.Status.CONFIRMED:
        _notify_next(document)
    else:
        _notify_filer(document, note)
    return confirmation


@refusals_audited("document_confirm", "confirmation_id")
@transaction.atomic
def document_confirm(*, actor: User, confirmation_id: Any, note: str = "") -> Confirmation:
    return _sign(actor, confirmation_id, note, Confirmation.Status.CONFIRMED)


@refusals_audited("document_refuse", "confirmation_id")
@transaction.atomic
def document_refuse(*, actor: User, confirmation_id: Any, note: str) -> Confirmation:
    return _sign(actor, confirmation_id, note, Confirmation.Status.REFUSED)


def _notify_next(document: Document) -> None:
    from dangan.circulation.services import notify

    step = (
        Confirmation.objects.filter(document=document, status=Confirmation.Status.WAITING)
        .order_by("position")
        .first()
    )
    if step is None:
        return
    text = _("%(n)s 的“%(t)s”待您确认") % {
        "n": document.dossier.archive_number,
        "t": document.title,
    }
    barred = {document.created_by_id} if document.created_by_id else set()
    for user in approvals.holders(step.role, step.department_id, barred):
        notify(user=user, text=text, link=reverse("confirmations:queue"), key=f"confirm:{step.pk}")


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


def pending(document: Document) -> bool:
    """Whether the piece still waits for (or was refused) a sign-off; reads prefetched
    confirmations when there are."""
    return any(c.status != Confirmation.Status.CONFIRMED for c in document.confirmations.all())


def confirmation_out(c: Confirmation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "document": c.document_id,
        "dossier": c.document.dossier_id,
        "archive_number": c.document.dossier.archive_number,
        "title": c.document.title,
        "position": c.position,
        "role": c.role,
        "department": c.department_id,
        "status": c.status,
        "by": c.by.username if c.by else None,
        "at": c.at,
        "note": c.note,
        "rule_version": c.rule_version.number if c.rule_version else None,
    }
