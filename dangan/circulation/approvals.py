"""The one approval engine (issue 27 §8): every chain of sign-offs runs here — access
requests (borrowing), destruction lists (kind `disposal`), intake exception statements
(kind `statement`), change requests of filed records (kind `change`) and the
confirmations of filed pieces (their chain is the checklist item's `confirm`, not a rule).

It owns, for any subject:
- choosing the chain: the first active ApprovalRule of the subject's kind (rules.py);
- laying the chain out as ApprovalStep rows bound to the subject (one nullable foreign key
  per kind of subject), departments resolved by the subject;
- who holds a step (the office's holders who can open the subject, never the requester),
  and the never-stall fallback: a step nobody holds (or nobody who could open what it
  decides) goes to its configured next level, else the archivist, else the director;
- deciding: approve (the next step opens, its approvers are told) or deny (the chain
  ends); whoever asked never decides their own;
- escalating steps left longer than the rule allows, and the daily reminder;
- "what waits for me": the pending steps an actor may sign.

What a decision means for the subject (a grant, a hold, an excepted finding), its audit
entries and the requester's notice stay with the subject's own services; the subject's
kind is described to the engine by a Subject (see RequestSubject below, and
dangan.disposal.approval, dangan.intake.services, dangan.changes.approval and
dangan.confirmations.approval for the others).
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import Department, Role, User
from dangan.audit.services import audit_record
from dangan.circulation.models import (
    STEP_SUBJECTS,
    AccessRequest,
    ApprovalRule,
    ApprovalStep,
    Escalation,
)
from dangan.circulation.rules import PlannedStep, spec_of
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition

# Chains never stall (issue 27 §2): a step nobody holds, or left too long, goes to the level
# its rule configures (the step's escalate_to), else to these, the first that has holders.
FALLBACK_LEVELS = ("archivist", "director")

# The subject kinds, by the step's foreign key: where to build the Subject of a step.
SUBJECT_KINDS = {
    "request": "dangan.circulation.approvals.RequestSubject",
    "disposal_list": "dangan.disposal.approval.ListSubject",
    "statement": "dangan.intake.services.StatementSubject",
    "change_request": "dangan.changes.approval.ChangeSubject",
    "document": "dangan.confirmations.approval.ConfirmationSubject",
}
assert tuple(SUBJECT_KINDS) == STEP_SUBJECTS  # noqa: S101 - a new subject needs its class here


def link(name: str, pk: int) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


class Subject(abc.ABC):
    """What one chain decides, as the engine needs to know it. A subclass per kind fills in
    the abstract members (a kind that leaves one out cannot be made)."""

    field: ClassVar[str] = ""  # the ApprovalStep foreign key naming this kind of subject
    # The ApprovalRule kinds whose chains decide this kind of subject (none: its chain
    # comes from elsewhere).
    rule_kinds: ClassVar[tuple[str, ...]] = ()
    # A department-bound step whose department is unknown: refused (True), or bound to
    # no department, any holder of the role signing it (False).
    strict_departments: ClassVar[bool] = True
    # A chain with a step nobody at all could sign: refused (True), or laid out all the
    # same, the step waiting in its office until someone holds it (False: what is decided
    # must not be refused for that, e.g. filing a piece).
    strict_chain: ClassVar[bool] = True
    # The permission a step's holder needs to open the subject (empty: none); a role
    # without it never signs (a rule naming it is refused, see role_may_open), and a step
    # whose holders cannot open the subject is passed on as if nobody held it.
    holder_permission: ClassVar[str] = ""
    # What the holder opens, as a refusal names it (稽核结果和情况说明).
    opens_what: ClassVar[Any] = ""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    @property
    @abc.abstractmethod
    def requester(self) -> User | None:
        """Who asked (told when a step is passed on); None: nobody to tell."""
        ...

    @property
    def barred(self) -> frozenset[int]:
        """Who never signs a step of this chain: whoever asked."""
        requester = self.requester
        return frozenset({requester.pk}) if requester is not None else frozenset()

    @classmethod
    def role_may_open(cls, role: Role) -> bool:
        """Whether holders of `role` can open a subject of this kind at all: the role gives
        the permission, with a data scope (a role that reaches no data sees nothing)."""
        if not cls.holder_permission:
            return True
        return cls.holder_permission in (role.permissions or []) and role.scope != Role.Scope.NONE

    def can_open(self, user: User) -> bool:
        """Whether `user` can open this subject (its page, what it decides): the holder
        permission by default; a kind whose subjects are seen per object says more."""
        return not self.holder_permission or policy.has_perm(user, self.holder_permission)

    @abc.abstractmethod
    def department(self, which: str) -> Department | None:
        """The department a step bound to `requester` or `customer` is signed in."""
        ...

    @property
    def rule(self) -> ApprovalRule | None:
        rule: ApprovalRule | None = self.obj.rule
        return rule

    @property
    def escalate_after_hours(self) -> int:
        """How long a step may stay pending before it is passed on as well (0: never): the
        rule's that chose the chain, by default."""
        rule = self.rule
        return rule.escalate_after_hours if rule is not None else 0

    def chain(self) -> tuple[Any, ...]:
        """The chain's steps (dangan.rules.schema.ApprovalStep): the rule's, by default."""
        rule = self.rule
        return spec_of(rule).steps if rule is not None else ()

    @property
    @abc.abstractmethod
    def is_open(self) -> bool: ...

    @property
    @abc.abstractmethod
    def since(self) -> datetime.datetime:
        """When a step without its own opening time is counted from."""
        ...

    @property
    @abc.abstractmethod
    def what(self) -> str:
        """The subject as a notice names it (借阅申请 JY-2026-0001)."""
        ...

    @property
    @abc.abstractmethod
    def link(self) -> str: ...

    @property
    def audit_obj(self) -> Any:
        return self.obj

    def audit_detail(self) -> dict[str, Any]:
        return {}

    def ask(self, step: ApprovalStep) -> str:
        return gettext("待审批:%(what)s(%(office)s)") % {"what": self.what, "office": office(step)}

    def remind(self, step: ApprovalStep) -> str:
        return gettext("催办:%(what)s 仍待您审批") % {"what": self.what}

    def steps(self) -> QuerySet[ApprovalStep]:
        return ApprovalStep.objects.filter(**{self.field: self.obj})


class RequestSubject(Subject):
    """An access request (查阅、借阅、复制)."""

    field = "request"
    rule_kinds = ("view", "borrow", "copy", "")
    obj: AccessRequest

    @property
    def requester(self) -> User:
        return self.obj.requester

    def department(self, which: str) -> Department | None:
        if which == "requester":
            return self.obj.requester.department
        department: Department | None = self.obj.dossier.owner_department
        return department

    @property
    def is_open(self) -> bool:
        return self.obj.status == AccessRequest.Status.PENDING

    @property
    def since(self) -> datetime.datetime:
        return self.obj.created_at

    @property
    def what(self) -> str:
        return gettext("%(kind)s申请 %(req)s") % {
            "kind": self.obj.get_kind_display(),
            "req": self.obj.number,
        }

    @property
    def link(self) -> str:
        return link("circulation:request", self.obj.pk)

    def ask(self, step: ApprovalStep) -> str:
        request = self.obj
        return gettext("待审批:%(user)s 申请%(kind)s档案 %(number)s(%(req)s)") % {
            "user": request.requester,
            "kind": request.get_kind_display(),
            "number": request.dossier.archive_number,
            "req": request.number,
        }

    def remind(self, step: ApprovalStep) -> str:
        request = self.obj
        return gettext("催办:%(user)s 的%(kind)s申请 %(req)s(档案 %(number)s)仍待您审批") % {
            "user": request.requester,
            "kind": request.get_kind_display(),
            "req": request.number,
            "number": request.dossier.archive_number,
        }


def subject_kinds() -> list[type[Subject]]:
    return [import_string(path) for path in SUBJECT_KINDS.values()]


def subject_for_rule(kind: str) -> type[Subject] | None:
    """The kind of subject whose chains the approval rules of `kind` set."""
    return next((found for found in subject_kinds() if kind in found.rule_kinds), None)


def subject_of(step: ApprovalStep) -> Subject:
    for field, path in SUBJECT_KINDS.items():
        if getattr(step, f"{field}_id") is not None:
            kind: type[Subject] = import_string(path)
            return kind(getattr(step, field))
    raise InvalidTransition(_("审批环节没有所属事项"))  # the database forbids it


# --- who holds a step ----------------------------------------------------------------------


def holders(role: str, department_id: int | None, barred: Iterable[int] = ()) -> QuerySet[User]:
    """Who may sign a step of this office: its active holders, never the barred."""
    return policy.office_holders(role, department_id).exclude(pk__in=list(barred))


def holds(actor: Any, role: str, department_id: int | None, escalated_to: str = "") -> bool:
    """The actor holds the office (role, department), or the role it was passed to (any
    department): who signs a step of a chain, or a confirmation of a filed piece."""
    if policy.holds_office(actor, role, department_id):
        return True
    return bool(escalated_to) and policy.holds_office(actor, escalated_to, None)


def may_sign(actor: User, step: ApprovalStep) -> bool:
    """The actor holds the step's office, or the role it was passed to (any department)."""
    return holds(actor, step.role, step.department_id, step.escalated_to)


# How many of an office's holders are asked whether they can open a subject, at most,
# before the office counts as having nobody who can (each answer may be a query).
OPENERS_ASKED = 50


def signers(subject: Subject, role: str, department_id: int | None) -> list[User]:
    """The office's holders who may sign for `subject`: not barred, and able to open it
    (a step handed to someone who would find "no such record" is handed to nobody)."""
    people = holders(role, department_id, subject.barred)
    if not subject.holder_permission:
        return list(people)
    return [user for user in people[:OPENERS_ASKED] if subject.can_open(user)]


def has_signer(subject: Subject, role: str, department_id: int | None) -> bool:
    people = holders(role, department_id, subject.barred)
    if not subject.holder_permission:
        return people.exists()
    return any(subject.can_open(user) for user in people[:OPENERS_ASKED])


def approvers_of(step: ApprovalStep, subject: Subject) -> list[User]:
    """Whom to ask: the step office's holders, and those of the role it was passed to,
    who can open the subject."""
    people = {u.pk: u for u in signers(subject, step.role, step.department_id)}
    if step.escalated_to:
        people |= {u.pk: u for u in signers(subject, step.escalated_to, None)}
    return list(people.values())


def escalation_target(
    subject: Subject, *, role: str, department_id: int | None, next_level: str
) -> str | None:
    """The role a stalled step of (role, department) goes to: the configured next level,
    else the archivist, else the director — the first with someone to sign who is not
    barred and can open the subject, and not the same office. None: nobody at all."""
    for level in (next_level, *FALLBACK_LEVELS):
        if not level or (level == role and department_id is None):
            continue
        if has_signer(subject, level, None):
            return level
    return None


def signable_by(actor: User) -> Q:
    """Steps bound to one of the actor's roles, in the actor's department or any, or
    passed on to one of them (may_sign as a query)."""
    codes = [role.code for role in policy.roles_of(actor)]
    department = Q(department__isnull=True)
    if actor.department_id is not None:
        department |= Q(department_id=actor.department_id)
    return (Q(role__in=codes) & department) | Q(escalated_to__in=codes)


def waiting_for(actor: Any, field: str) -> QuerySet[ApprovalStep]:
    """The pending steps of one kind of subject (`field`) the actor may sign; the caller
    leaves out subjects the actor asked for."""
    if not isinstance(actor, User) or not actor.is_active:
        return ApprovalStep.objects.none()
    return ApprovalStep.objects.filter(
        signable_by(actor), status=ApprovalStep.Status.PENDING, **{f"{field}__isnull": False}
    )


def role_name(code: str) -> str:
    """A role's name as people know it (档案管理员), its code when there is no such role."""
    found = Role.objects.filter(code=code).values_list("name", flat=True).first()
    return str(found or code)


def office_label(role: str, department: Any) -> str:
    name = role_name(role)
    return f"{name}({department})" if department else name


def office(step: ApprovalStep) -> str:
    return office_label(step.role, step.department)


# --- laying a chain out ----------------------------------------------------------------------


def plan(subject: Subject, steps: Iterable[Any]) -> list[PlannedStep]:
    """The chain's steps bound to the subject's departments. A department-bound step whose
    department is unknown cannot be signed by anyone: refused up front (or left to any
    department's holder, for subjects that say so)."""
    planned = []
    for step in steps:
        department: Department | None = None
        if step.department != "any":
            department = subject.department(step.department)
            if department is None and subject.strict_departments:
                raise ApplicationError(
                    _("该申请须由部门审批,但无法确定审批部门,请联系档案管理员"),
                    field="dossier",
                )
        planned.append(
            PlannedStep(role=step.role, department=department, next_level=step.escalate_to)
        )
    return planned


def chain_open(
    subject: Subject,
    rule: ApprovalRule | None = None,
    *,
    now: datetime.datetime,
    field: str = "dossier",
    announce: bool = True,
    **extra: Any,
) -> list[ApprovalStep]:
    """Lay the chain out for the saved subject (the rule's steps, or the subject's own
    chain), the first open step pending; `extra` columns go on every step. A step whose
    office nobody holds who can open the subject (the barred aside) is passed at once to
    its next level; where that level signs later in the chain anyway, the step is
    skipped; the requester is told. A chain nobody at all could sign is refused (fail
    closed; `field` names the input at fault), unless the subject's kind says to lay it
    out all the same. With `announce`, the first step's approvers are told."""
    planned = plan(subject, spec_of(rule).steps if rule is not None else subject.chain())
    rows = []
    for i, step in enumerate(planned, start=1):
        department_id = step.department.pk if step.department else None
        row = ApprovalStep(
            position=i,
            role=step.role,
            department=step.department,
            next_level=step.next_level,
            status=ApprovalStep.Status.WAITING,
            **{subject.field: subject.obj},
            **extra,
        )
        if not has_signer(subject, step.role, department_id):
            target = escalation_target(
                subject, role=step.role, department_id=department_id, next_level=step.next_level
            )
            if target is None and not subject.strict_chain:
                rows.append(row)  # waits in its office; the escalation run passes it on
                continue
            if target is None:
                raise ApplicationError(
                    _("审批环节“%(office)s”无人担任,也没有可转交的审批人,请联系档案管理员")
                    % {"office": office_label(step.role, step.department)},
                    field=field,
                )
            row.escalated_to, row.escalated_at = target, now
            row.escalation = Escalation.VACANT
            if any(p.role == target and p.department is None for p in planned[i:]):
                row.status = ApprovalStep.Status.SKIPPED
        rows.append(row)
    first = next((r for r in rows if r.status == ApprovalStep.Status.WAITING), None)
    if first is not None:
        first.status = ApprovalStep.Status.PENDING
        first.opened_at = now
    steps = ApprovalStep.objects.bulk_create(rows)
    for row in steps:
        if row.escalation:
            notify_escalated(subject, row, tell_approvers=False)
    if announce and first is not None:
        notify_approvers(subject, first)
    return steps


# --- notices ------------------------------------------------------------------------------


def notify_approvers(subject: Subject, step: ApprovalStep) -> None:
    from dangan.circulation.services import notify

    text = subject.ask(step)
    for user in approvers_of(step, subject):
        notify(user=user, text=text, link=subject.link)


def notify_escalated(subject: Subject, step: ApprovalStep, *, tell_approvers: bool = True) -> None:
    """Tell the requester at once that a step was passed on (and why), and, when it is the
    step waiting now, those it was passed to."""
    from dangan.circulation.services import notify

    if subject.requester is not None:
        notify(
            user=subject.requester,
            text=gettext("您的%(what)s:审批环节“%(office)s”%(reason)s,已转由“%(to)s”审批")
            % {
                "what": subject.what,
                "office": office(step),
                "reason": step.get_escalation_display(),
                "to": role_name(step.escalated_to),
            },
            link=subject.link,
        )
    if tell_approvers and step.status == ApprovalStep.Status.PENDING:
        notify_approvers(subject, step)


# --- deciding -------------------------------------------------------------------------------


def pending_step(subject: Subject) -> ApprovalStep | None:
    return subject.steps().filter(status=ApprovalStep.Status.PENDING).first()


def decidable_step(actor: User, subject: Subject, *, own: Any) -> ApprovalStep:
    """The subject's pending step (locked), if the actor may decide it; else a clear
    refusal (`own`: the words for deciding one's own). Call with the subject locked."""
    if actor.pk in subject.barred:
        raise Forbidden(own)
    step = subject.steps().select_for_update().filter(status=ApprovalStep.Status.PENDING).first()
    if step is None:  # an open subject always has one; fail closed all the same
        raise InvalidTransition(_("该申请没有待审批的环节"))
    if may_sign(actor, step):
        return step
    later = subject.steps().filter(status=ApprovalStep.Status.WAITING)
    if any(may_sign(actor, s) for s in later):
        raise InvalidTransition(_("尚未轮到您审批,须先完成前序审批"))
    raise Forbidden(_("该申请当前不在您的审批环节"))


def _decided(step: ApprovalStep, status: str, actor: User, note: str, now: Any) -> None:
    step.status = status
    step.approver = actor
    step.decided_at = now
    step.note = (note or "").strip()[:500]
    step.save(update_fields=["status", "approver", "decided_at", "note"])


def step_approve(
    subject: Subject,
    step: ApprovalStep,
    *,
    actor: User,
    note: str,
    now: datetime.datetime,
    notify_next: bool = True,
) -> ApprovalStep | None:
    """Approve `step` (the subject locked, the actor's right checked by decidable_step)
    and open the next one, whose approvers are told. Returns the step opened; None when
    this was the last, and the subject's service concludes it."""
    _decided(step, ApprovalStep.Status.APPROVED, actor, note, now)
    following = (
        subject.steps()
        .select_for_update()
        .filter(status=ApprovalStep.Status.WAITING)
        .order_by("position")
        .first()
    )
    if following is None:
        return None
    following.status = ApprovalStep.Status.PENDING
    following.opened_at = now
    following.save(update_fields=["status", "opened_at"])
    if notify_next:
        notify_approvers(subject, following)
    return following


def step_deny(
    subject: Subject, step: ApprovalStep, *, actor: User, note: str, now: datetime.datetime
) -> None:
    """Deny at `step`: the chain ends there."""
    _decided(step, ApprovalStep.Status.DENIED, actor, note, now)
    steps_close(subject)


def steps_close(subject: Subject) -> None:
    """The steps not yet decided will not be (a cancelled or denied subject)."""
    subject.steps().filter(
        status__in=[ApprovalStep.Status.WAITING, ApprovalStep.Status.PENDING]
    ).update(status=ApprovalStep.Status.SKIPPED)


# --- late steps ------------------------------------------------------------------------------


def approvals_escalate(*, now: datetime.datetime | None = None) -> int:
    """Pass every step left pending longer than its subject allows (the rule's
    escalate_after_hours; a sign-off's, its archive type's), or that nobody who can open
    the subject holds any more, to its next level, telling the requester and the new
    approvers; and remind the approvers of every step waiting a day or more, once a day.
    Every kind of subject. Returns how many steps were passed on. Run by the worker with
    the loan reminders; running it again changes nothing."""
    now = now or timezone.now()
    waiting = (
        ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING)
        .select_related(
            "request__rule",
            "request__requester",
            "request__dossier",
            "disposal_list__rule",
            "disposal_list__proposer",
            "statement__rule",
            "statement__submitted_by",
            "statement__finding__dossier",
            "change_request__rule",
            "change_request__requester",
            "change_request__dossier",
            "change_request__customer",
            "document__dossier__archive_type",
            "document__created_by",
            "department",
        )
        .order_by("pk")
    )
    passed = 0
    for step in waiting:
        subject = subject_of(step)
        if not subject.is_open:
            continue
        since = step.opened_at or subject.since
        hours = subject.escalate_after_hours
        late = bool(hours) and since + datetime.timedelta(hours=hours) <= now
        if not step.escalated_to and (late or _vacant(step, subject)):
            passed += _escalate(step, now)
        if since + datetime.timedelta(days=1) <= now:
            _remind_approvers(subject, step, now)
    return passed


def _vacant(step: ApprovalStep, subject: Subject) -> bool:
    """Nobody who can open the subject holds the step's office any more (its holder left,
    or a step moved by an upgrade to the engine was never checked): passed on at once,
    not after the hours."""
    return not has_signer(subject, step.role, step.department_id)


@transaction.atomic
def _escalate(step: ApprovalStep, now: datetime.datetime) -> int:
    step = (
        ApprovalStep.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=step.pk)
    )
    if step.status != ApprovalStep.Status.PENDING or step.escalated_to:
        return 0  # decided or passed on meanwhile
    subject = subject_of(step)
    reason = Escalation.VACANT if _vacant(step, subject) else Escalation.OVERDUE
    target = escalation_target(
        subject, role=step.role, department_id=step.department_id, next_level=step.next_level
    )
    if target is None:
        return 0
    step.escalated_to, step.escalated_at = target, now
    step.escalation = reason
    step.save(update_fields=["escalated_to", "escalated_at", "escalation"])
    audit_record(
        actor=None,
        action="escalate",
        obj=subject.audit_obj,
        detail={
            **subject.audit_detail(),
            "step": step.position,
            "role": step.role,
            "to": target,
            "reason": str(reason.value),
        },
    )
    notify_escalated(subject, step)
    return 1


def _remind_approvers(subject: Subject, step: ApprovalStep, now: datetime.datetime) -> None:
    from dangan.circulation.services import notify

    day = timezone.localdate(now).isoformat()
    text = subject.remind(step)
    for user in approvers_of(step, subject):
        notify(
            user=user, text=text, link=subject.link, key=f"approval-due:{step.pk}:{user.pk}:{day}"
        )
