"""Business actions on access requests, approvals, grants, loans and notifications.

Every action locks the rows it moves, writes its audit entry in the same transaction,
and refuses bad input with an ApplicationError. A refusal is itself recorded (outcome
denied or failed) after the refused transaction has rolled back, so nothing changes
but the attempt stays in the trail (issue 5 "Bad input").
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Grant, Role, User
from dangan.archives import numbering
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation import approvals
from dangan.circulation.models import (
    AccessRequest,
    ApprovalStep,
    Loan,
    Notification,
    RequestKind,
)
from dangan.circulation.rules import relation_of, rule_for
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.documents.models import Document
from dangan.rules.services import approval_rule_version

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

REQUEST_NUMBERING = "{code}-{year}-{seq:4}"
REQUEST_CODE = "JY"
NOT_FOUND = _("记录不存在或您无权查看")  # the policy layer's words: missing and hidden alike


# --- periods -------------------------------------------------------------------------


def max_days() -> int:
    return int(getattr(settings, "DANGAN_LOAN_MAX_DAYS", 30))


def same_day_only(dossier: Dossier) -> bool:
    """Secret and higher dossiers come back (and view grants end) the day they go out."""
    return bool(getattr(settings, "DANGAN_SENSITIVE_LOAN_SAME_DAY", True)) and (
        dossier.confidentiality != Dossier.Confidentiality.NORMAL
    )


def _end_of_day(moment: datetime.datetime) -> datetime.datetime:
    day = timezone.localdate(moment) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def check_period(
    *, start: datetime.datetime, end: Any, dossier: Dossier, field: str
) -> datetime.datetime:
    """`end` as an aware datetime after now, within the maximum counted from `start`."""
    if not isinstance(end, datetime.datetime):
        raise ApplicationError(_("请填写有效的日期时间"), field=field)
    moment: datetime.datetime = end
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    end = moment
    if end <= timezone.now():
        raise ApplicationError(_("期限须晚于当前时间"), field=field)
    if same_day_only(dossier) and end > _end_of_day(start):
        raise ApplicationError(_("秘密及以上密级的档案须当日归还、当日有效"), field=field)
    if end - start > datetime.timedelta(days=max_days()):
        raise ApplicationError(
            _("期限最长 %(days)d 天(含续借)") % {"days": max_days()}, field=field
        )
    return moment


def originals_of(dossier: Dossier) -> QuerySet[Document]:
    """The dossier's paper originals (原始资料): viewed in the room, never lent (SPEC C4),
    and, where the type says so, never copied (002 篇4 制度5)."""
    return Document.objects.filter(
        dossier=dossier,
        checklist_item__original=True,
        carrier=Document.Carrier.PAPER_ORIGINAL,
    )


def _pieces(documents: Iterable[Document]) -> str:
    return "、".join(f"{d.piece_number}. {d.title}" for d in documents)[:200]


def _check_request_scope(kind: str, dossier: Dossier, documents: list[Document]) -> None:
    """A borrow names no original (a whole-dossier borrow goes out without them); a copy
    names none where the type issues no copies of originals, nor the whole dossier then."""
    originals = set(originals_of(dossier).values_list("pk", flat=True))
    named = [d for d in documents if d.pk in originals]
    if kind == RequestKind.BORROW and named:
        raise ApplicationError(
            _("原始资料不外借,可申请查阅:%(docs)s") % {"docs": _pieces(named)},
            field="documents",
        )
    if kind != RequestKind.COPY or dossier.archive_type.originals_copyable:
        return
    if named:
        raise ApplicationError(
            _("原始资料只可查阅,不得复制、发放:%(docs)s") % {"docs": _pieces(named)},
            field="documents",
        )
    if not documents and originals:
        raise ApplicationError(
            _("该档案含原始资料,按规定只可查阅、不得复制发放:请选择其中的非原始资料文件"),
            field="documents",
        )


# --- notifications -------------------------------------------------------------------


def _link(name: str, pk: int) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def notify(*, user: User, text: str, link: str = "", key: str = "") -> Notification | None:
    """One in-app notification. With a key it is created at most once (None if it exists)."""
    if not key:
        return Notification.objects.create(user=user, text=text[:500], link=link)
    try:
        with transaction.atomic():
            return Notification.objects.create(user=user, text=text[:500], link=link, key=key)
    except IntegrityError:
        return None


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (all when ids is None)."""
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# The engine's step-holder logic, under the names this module's callers know.
may_sign = approvals.may_sign
role_name = approvals.role_name


def _notify_requester(request: AccessRequest) -> None:
    notify(
        user=request.requester,
        text=gettext("您的%(kind)s申请 %(req)s %(status)s")
        % {
            "kind": request.get_kind_display(),
            "req": request.number,
            "status": request.get_status_display(),
        },
        link=_link("circulation:request", request.pk),
    )


# --- requests ------------------------------------------------------------------------


class Undiscoverable(NotFound):
    """A request for a dossier the actor may not even discover: refused like a missing
    one (the same words), as bad input naming the field (400, issue 27 "Bad input")."""

    status_code = 400


def requestable_dossier(actor: User, dossier_id: Any) -> Dossier:
    """A dossier the actor may ask for: its customer or the dossier is visible to them, or
    their roles may discover dossiers (issue 27 §1: what a search by archive number, exact
    name or ID number shows them). Anything else is reported exactly like a missing one."""
    try:
        key = int(dossier_id)
    except (TypeError, ValueError):
        raise Undiscoverable(NOT_FOUND, field="dossier") from None
    askable = Q(customer__in=policy.customers_for(actor).values("pk")) | Q(
        pk__in=policy.dossiers_for(actor).values("pk")
    )
    if policy.has_perm(actor, perms.DOSSIER_DISCOVER):
        askable |= ~Q(status=Dossier.Status.DESTROYED) & Q(customer__isnull=False)
    dossier = (
        Dossier.objects.filter(askable, pk=key)
        .select_related("customer__department", "customer__owner", "archive_type")
        .first()
    )
    if dossier is None:
        raise Undiscoverable(NOT_FOUND, field="dossier")
    return dossier


@refusals_audited("request", "dossier_id")
@transaction.atomic
def request_create(
    *,
    actor: User,
    kind: str,
    dossier_id: Any,
    purpose: str,
    until: Any,
    document_ids: Iterable[Any] = (),
) -> AccessRequest:
    """Ask to view, borrow or copy a dossier (or some of its documents); the matching
    approval rule sets the chain, and a rule without steps approves at once."""
    dossier = requestable_dossier(actor, dossier_id)
    request, _steps = request_open(
        requester=actor,
        kind=kind,
        dossier=dossier,
        purpose=purpose,
        until=until,
        document_ids=document_ids,
    )
    return request


def request_open(
    *,
    requester: User,
    kind: str,
    dossier: Dossier,
    purpose: str,
    until: Any,
    document_ids: Iterable[Any] = (),
    filed_by: User | None = None,
) -> tuple[AccessRequest, list[ApprovalStep]]:
    """Validate and record a request of `requester` for a dossier they may ask for, with
    its chain (the first step's approvers told); approved at once when the chain is empty.
    `filed_by`: the archivist recording it at the desk. Runs inside the caller's
    transaction; the caller audits refusals."""
    if kind not in RequestKind.values:
        raise ApplicationError(_("申请类型应为查阅、借阅或复制"), field="kind")
    purpose = (purpose or "").strip()
    if not purpose:
        raise ApplicationError(_("请填写用途"), field="purpose")
    if len(purpose) > 1000:
        raise ApplicationError(_("用途不超过 1000 字"), field="purpose")
    now = timezone.now()
    until = check_period(start=now, end=until, dossier=dossier, field="until")
    if dossier.status == Dossier.Status.DESTROYED:
        raise ApplicationError(_("该档案已销毁"), field="dossier")
    try:
        wanted = {int(pk) for pk in document_ids}
    except (TypeError, ValueError):
        raise ApplicationError(_("应为有效的编号"), field="documents") from None
    documents = list(Document.objects.filter(dossier=dossier, pk__in=wanted))
    if len(documents) != len(wanted):
        raise ApplicationError(_("所选文件不属于该档案"), field="documents")
    _check_request_scope(kind, dossier, documents)
    relation = relation_of(requester, dossier)
    rule = rule_for(actor=requester, kind=kind, dossier=dossier, relation=relation)
    number = numbering.allocate(
        REQUEST_NUMBERING, numbering.NumberContext(code=REQUEST_CODE, date=timezone.localdate())
    )
    request = AccessRequest.objects.create(
        number=number,
        requester=requester,
        kind=kind,
        dossier=dossier,
        purpose=purpose,
        until=until,
        relation=relation,
        rule=rule,
        filed_by=filed_by,
        rule_version=approval_rule_version(rule),
    )
    request.documents.set(documents)
    subject = approvals.RequestSubject(request)
    steps = approvals.chain_open(subject, rule, now=now, announce=filed_by is None)
    detail: dict[str, Any] = {
        "kind": kind,
        "dossier": dossier.archive_number,
        "documents": sorted(wanted),
        "purpose": purpose,
        "until": until,
        "relation": relation,
        "rule": rule.name,
        "rule_version": request.rule_version.number if request.rule_version else None,
        "steps": [f"{s.role}@{s.department or '*'}" for s in steps],
    }
    if filed_by is not None:
        detail["requester"] = requester.username
    passed = {s.position: s.escalated_to for s in steps if s.escalation}
    if passed:
        detail["escalated"] = passed
    audit_record(actor=filed_by or requester, action="request", obj=request, detail=detail)
    if not steps:
        _approve(request, approver=None, actor=filed_by or requester, now=now)
    return request, steps


def _lock_request(request: AccessRequest) -> AccessRequest:
    """The request, locked against a concurrent decision. Only its own row, and FOR NO KEY
    UPDATE: locking its dossier and requester too (FOR UPDATE) blocked every transaction
    that refers to them (foreign-key checks take FOR KEY SHARE) — the requester's next
    request deadlocked with the approval of the last one (#22 item 9)."""
    return (
        AccessRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("dossier", "requester")
        .get(pk=request.pk)
    )


def _decidable_step(actor: User, request: AccessRequest) -> ApprovalStep:
    """The request's pending step, if the actor may decide it; else a clear refusal."""
    if not request.can_move_to(AccessRequest.Status.APPROVED):
        raise InvalidTransition(
            _("该申请已办结(%(status)s)") % {"status": request.get_status_display()}
        )
    return approvals.decidable_step(
        actor, approvals.RequestSubject(request), own=_("不能审批本人的申请")
    )


def _approve(
    request: AccessRequest, *, approver: User | None, actor: User, now: datetime.datetime
) -> None:
    """The final approval: view and copy become a grant until `until`; a borrow waits
    for the archivist to lend."""
    request.status = AccessRequest.Status.APPROVED
    request.decided_at = now
    if request.kind in (RequestKind.VIEW, RequestKind.COPY):
        grant = Grant.objects.create(
            user=request.requester,
            object_type=Grant.ObjectType.DOSSIER,
            object_id=request.dossier_id,
            action=Grant.Action.VIEW if request.kind == RequestKind.VIEW else Grant.Action.COPY,
            reason=f"{request.number} {request.purpose}"[:200],
            granted_by=approver,
            starts_at=now,
            expires_at=request.until,
        )
        request.grant = grant
        audit_record(
            actor=actor,
            action="grant",
            obj=request.dossier,
            detail={
                "grant": grant.pk,
                "request": request.number,
                "user": request.requester.username,
                "action": grant.action,
                "until": grant.expires_at,
            },
        )
    request.save(update_fields=["status", "decided_at", "grant"])
    if approver is None:
        audit_record(
            actor=actor,
            action="approve",
            obj=request,
            detail={"auto": True, "rule": request.rule.name if request.rule else ""},
        )
    _notify_requester(request)


@refusals_audited("approve", "request")
@transaction.atomic
def request_approve(*, actor: User, request: AccessRequest, note: str = "") -> AccessRequest:
    """Approve the current step; the last approval decides the request."""
    request = _lock_request(request)
    step = _decidable_step(actor, request)
    now = timezone.now()
    if request.until <= now:
        raise ApplicationError(_("申请的期限已过,请驳回后由申请人重新申请"), field="until")
    sign_step(request, step, actor=actor, note=note, now=now)
    return request


def sign_step(
    request: AccessRequest,
    step: ApprovalStep,
    *,
    actor: User,
    note: str,
    now: datetime.datetime,
    notify_next: bool = True,
) -> ApprovalStep | None:
    """Approve `step` (the request locked, the actor's right to sign it checked) and open
    the next one, whose approvers are told; the last approval decides the request.
    Returns the step opened, if any."""
    subject = approvals.RequestSubject(request)
    following = approvals.step_approve(
        subject, step, actor=actor, note=note, now=now, notify_next=notify_next
    )
    audit_record(
        actor=actor,
        action="approve",
        obj=request,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    if following is None:
        _approve(request, approver=actor, actor=actor, now=now)
    return following


@refusals_audited("deny", "request")
@transaction.atomic
def request_deny(*, actor: User, request: AccessRequest, note: str) -> AccessRequest:
    """Deny at the current step; the request ends there."""
    request = _lock_request(request)
    step = _decidable_step(actor, request)
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("请填写驳回理由"), field="note")
    now = timezone.now()
    approvals.step_deny(approvals.RequestSubject(request), step, actor=actor, note=note, now=now)
    request.status = AccessRequest.Status.DENIED
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action="deny",
        obj=request,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    _notify_requester(request)
    return request


@refusals_audited("cancel", "request")
@transaction.atomic
def request_cancel(*, actor: User, request: AccessRequest) -> AccessRequest:
    request = _lock_request(request)
    if request.requester_id != actor.pk:
        raise Forbidden(_("只有申请人可以撤回申请"))
    if not request.can_move_to(AccessRequest.Status.CANCELLED):
        raise InvalidTransition(
            _("该申请已办结(%(status)s),不能撤回") % {"status": request.get_status_display()}
        )
    approvals.steps_close(approvals.RequestSubject(request))
    request.status = AccessRequest.Status.CANCELLED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    audit_record(actor=actor, action="cancel", obj=request)
    return request


@refusals_audited("revoke", "grant")
@transaction.atomic
def grant_revoke(*, actor: User, grant: Grant, reason: str = "") -> Grant:
    """End a grant before its time (the archivist's call)."""
    policy.require(actor, perms.CIRCULATION_MANAGE)
    grant = Grant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise InvalidTransition(_("该授权已撤销"))
    now = timezone.now()
    if grant.expires_at <= now:
        raise InvalidTransition(_("该授权已过期"))
    grant.revoked_at = now
    grant.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="revoke",
        obj=grant,
        object_repr=f"{grant.user} {grant.object_type}:{grant.object_id}",
        detail={"user": grant.user.username, "reason": (reason or "").strip()[:200]},
    )
    notify(
        user=grant.user,
        text=gettext("您对档案的%(a)s授权已被撤销") % {"a": grant.get_action_display()},
    )
    return grant


# --- reminders -----------------------------------------------------------------------


def _lenders() -> list[User]:
    """Everyone whose roles let them lend: the archivists, as roles are data."""
    codes = [role.code for role in Role.objects.all() if perms.CIRCULATION_LEND in role.permissions]
    return list(User.objects.filter(is_active=True, roles__code__in=codes).distinct())


def reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Notify borrower and archivists of every open loan due today or overdue, once per
    loan, person and day; e-mail too when a mail server is configured. Returns how many
    notifications were created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = Loan.objects.filter(returned_at__isnull=True, due_at__lt=_end_of_day(now))
    lenders = _lenders()
    created = 0
    mails: list[tuple[str, str]] = []
    for loan in due.select_related("dossier", "borrower").order_by("due_at"):
        late = (today - timezone.localdate(loan.due_at)).days
        state = gettext("今日到期") if late <= 0 else gettext("已逾期 %(days)d 天") % {"days": late}
        text = gettext("借阅提醒:档案 %(number)s(借阅人 %(user)s)应于 %(due)s 归还,%(state)s") % {
            "number": loan.dossier.archive_number,
            "user": loan.borrower,
            "due": timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M"),
            "state": state,
        }
        recipients = {loan.borrower.pk: loan.borrower} | {u.pk: u for u in lenders}
        for user in recipients.values():
            key = f"loan-due:{loan.pk}:{user.pk}:{today.isoformat()}"
            if notify(user=user, text=text, link=_link("circulation:loan", loan.pk), key=key):
                created += 1
                if user.email:
                    mails.append((user.email, text))
    if created:
        audit_record(actor=None, action="remind", object_type="loan", detail={"sent": created})
    if mails and str(getattr(settings, "EMAIL_HOST", "") or ""):
        _send_mails(mails)
    return created


def _send_mails(mails: list[tuple[str, str]]) -> None:
    for address, text in mails:
        try:
            send_mail(gettext("档案借阅到期提醒"), text, None, [address])
        except Exception:  # a mail server problem must not stop the in-app reminders
            log.exception("reminder e-mail to %s failed", address)


# --- stalled approvals -----------------------------------------------------------------

# Every kind of subject's late steps, run by the worker with the loan reminders.
approvals_escalate = approvals.approvals_escalate
