"""Lending paper (借出) as business actions: lend under an approved request or at the desk,
renew, take back (issue 5; issue 27 §3).

Originals (原始资料) never leave the room: a dossier that holds any goes out without them
(they are listed on the slip) or as the pieces chosen. A return records whether it came
back late, complete and undamaged; each failing becomes a finding of the borrower, priced
by the archive type's penalty rules (intake.penalties), as the company configured them.
Every action locks the dossier (or loan) row and writes its audit entry in the same
transaction; refusals are audited after the rollback."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import lifecycle
from dangan.archives.models import Dossier, DossierTransition
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation import services
from dangan.circulation.models import AccessRequest, ApprovalStep, Loan, RequestKind
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.documents.models import Document

DESK_NOTE = _("柜台当场审批(档案室登记)")


def _borrow_request(
    borrower: User, dossier: Dossier, request: AccessRequest | None
) -> AccessRequest:
    """The approved, not yet used borrow request the loan is made under."""
    approved = (
        AccessRequest.objects.select_for_update()
        .filter(
            requester=borrower,
            dossier=dossier,
            kind=RequestKind.BORROW,
            status=AccessRequest.Status.APPROVED,
        )
        .exclude(pk__in=Loan.objects.filter(request__isnull=False).values("request_id"))
    )
    if request is not None:
        found = approved.filter(pk=request.pk).first()
        if found is None:
            raise ApplicationError(
                _("该申请不是此借阅人对此档案已批准且未使用的借阅申请"), field="request"
            )
        return found
    found = approved.order_by("decided_at", "pk").first()
    if found is None:
        raise ApplicationError(_("借阅人没有此档案已批准的借阅申请"), field="borrower")
    return found


def _ids(values: Iterable[Any], field: str) -> set[int]:
    try:
        return {int(pk) for pk in values}
    except (TypeError, ValueError):
        raise ApplicationError(_("应为有效的编号"), field=field) from None


def lend_scope(
    dossier: Dossier,
    *,
    document_ids: Iterable[Any] = (),
    without_originals: bool = False,
    request: AccessRequest | None = None,
) -> tuple[str, list[Document]]:
    """What goes out: (Loan.Scope, the pieces listed for a partial loan). Chosen pieces
    (or else those the request named) must be the dossier's and no original; a dossier
    holding originals goes out without them only when asked (the clerk sees the list)."""
    originals = set(services.originals_of(dossier).values_list("pk", flat=True))
    wanted = _ids(document_ids, "documents")
    if not wanted and request is not None:
        wanted = set(request.documents.values_list("pk", flat=True))
    if wanted:
        documents = list(Document.objects.filter(dossier=dossier, pk__in=wanted))
        if len(documents) != len(wanted):
            raise ApplicationError(_("所选文件不属于该档案"), field="documents")
        held = [d for d in documents if d.pk in originals]
        if held:
            raise ApplicationError(
                _("原始资料不外借,留存档案室:%(docs)s") % {"docs": services._pieces(held)},
                field="documents",
            )
        named = set(request.documents.values_list("pk", flat=True)) if request else set()
        if named and not wanted <= named:
            raise ApplicationError(_("所选文件超出借阅申请的范围"), field="documents")
        return Loan.Scope.DOCUMENTS, sorted(documents, key=lambda d: d.piece_number)
    if without_originals:
        rest = dossier.documents.exclude(pk__in=originals).order_by("piece_number")
        return Loan.Scope.WITHOUT_ORIGINALS, list(rest)
    if originals:
        raise ApplicationError(
            _("该档案含原始资料 %(n)d 件,原件不外借:请选择“不含原件借出”或所选文件")
            % {"n": len(originals)},
            field="without_originals",
        )
    return Loan.Scope.WHOLE, []


def _check_lendable(actor: User, dossier: Dossier, borrower: User) -> None:
    policy.require(actor, perms.CIRCULATION_LEND)
    if not borrower.is_active:
        raise ApplicationError(_("借阅人账号已停用"), field="borrower")
    if not policy.may_hold(borrower, policy.BORROWER):
        raise ApplicationError(_("该用户的角色不能借阅档案"), field="borrower")
    if dossier.status == Dossier.Status.ON_LOAN:
        raise ApplicationError(_("该档案已借出"), field="dossier")
    if dossier.status != Dossier.Status.FILED:
        raise ApplicationError(
            _("该档案当前状态为“%(status)s”,不能借出") % {"status": dossier.get_status_display()},
            field="dossier",
        )


def _lend(
    *,
    actor: User,
    dossier: Dossier,
    borrower: User,
    approved: AccessRequest,
    due: datetime.datetime,
    scope: str,
    documents: list[Document],
    now: datetime.datetime,
) -> Loan:
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                dossier=dossier,
                request=approved,
                borrower=borrower,
                lent_by=actor,
                lent_at=now,
                due_at=due,
                scope=scope,
            )
    except IntegrityError:
        raise ApplicationError(_("该档案已借出"), field="dossier") from None
    loan.documents.set(documents)
    dossier = lifecycle.dossier_transition(
        actor=actor,
        dossier=dossier,
        to=Dossier.Status.ON_LOAN,
        reason=str(
            _("借阅人 %(user)s,申请 %(number)s")
            % {"user": borrower.get_full_name() or borrower.username, "number": approved.number}
        ),
        channel=DossierTransition.Channel.LOAN,
    )
    kept = services.originals_of(dossier) if scope != Loan.Scope.WHOLE else Document.objects.none()
    audit_record(
        actor=actor,
        action="lend",
        obj=dossier,
        detail={
            "loan": loan.pk,
            "borrower": borrower.username,
            "request": approved.number,
            "due": due,
            "scope": scope,
            "documents": [d.piece_number for d in documents],
            "originals_kept": sorted(kept.values_list("piece_number", flat=True)),
            "walk_in": approved.filed_by_id is not None,
        },
    )
    return loan


@refusals_audited("lend", "dossier")
@transaction.atomic
def loan_create(
    *,
    actor: User,
    dossier: Dossier,
    borrower: User,
    due: Any,
    request: AccessRequest | None = None,
    documents: Iterable[Any] = (),
    without_originals: bool = False,
) -> Loan:
    """Record the paper dossier (or the pieces chosen) going out under an approved borrow
    request. The dossier row is locked, and the database allows one open loan per
    dossier, so racing approvals still produce one loan."""
    policy.require(actor, perms.CIRCULATION_LEND)
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    _check_lendable(actor, dossier, borrower)
    approved = _borrow_request(borrower, dossier, request)
    scope, pieces = lend_scope(
        dossier, document_ids=documents, without_originals=without_originals, request=approved
    )
    now = timezone.now()
    due = services.check_period(start=now, end=due, dossier=dossier, field="due")
    return _lend(
        actor=actor,
        dossier=dossier,
        borrower=borrower,
        approved=approved,
        due=due,
        scope=scope,
        documents=pieces,
        now=now,
    )


@refusals_audited("lend", "dossier")
@transaction.atomic
def loan_walk_in(
    *,
    actor: User,
    dossier: Dossier,
    borrower: User,
    due: Any,
    purpose: str,
    documents: Iterable[Any] = (),
    without_originals: bool = False,
) -> Loan:
    """Lend to someone standing at the desk without a request made before: the borrow
    request is recorded for them, its chain approved on the spot by the lender where the
    rules allow it (every step is the lender's office, or the rule allows the archive room
    to approve at the desk), and the dossier lent, in one transaction. Where a step needs
    someone else, nothing is recorded and the borrower is told to request first."""
    policy.require(actor, perms.CIRCULATION_LEND)
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("customer__department", "archive_type")
        .get(pk=dossier.pk)
    )
    _check_lendable(actor, dossier, borrower)
    if borrower.pk == actor.pk:
        raise Forbidden(_("不能审批本人的申请"))
    scope, pieces = lend_scope(dossier, document_ids=documents, without_originals=without_originals)
    request, steps = services.request_open(
        requester=borrower,
        kind=RequestKind.BORROW,
        dossier=dossier,
        purpose=purpose,
        until=due,
        document_ids=[d.pk for d in pieces] if scope == Loan.Scope.DOCUMENTS else (),
        filed_by=actor,
    )
    now = timezone.now()
    desk = bool(request.rule and request.rule.desk_approval)
    step: ApprovalStep | None = next(
        (s for s in steps if s.status == ApprovalStep.Status.PENDING), None
    )
    while step is not None:
        if not (desk or services.may_sign(actor, step)):
            raise ApplicationError(
                _("该借阅须经“%(role)s”审批,不能当场借出:请借阅人先提交借阅申请,批准后再借出")
                % {"role": step.role},
                field="borrower",
            )
        step = services.sign_step(
            request, step, actor=actor, note=str(DESK_NOTE), now=now, notify_next=False
        )
    request.refresh_from_db()
    return _lend(
        actor=actor,
        dossier=dossier,
        borrower=borrower,
        approved=request,
        due=request.until,
        scope=scope,
        documents=pieces,
        now=now,
    )


def _lock_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("dossier", "borrower").get(pk=loan.pk)


@refusals_audited("renew", "loan")
@transaction.atomic
def loan_renew(*, actor: User, loan: Loan, due: Any) -> Loan:
    """Extend the due date; the whole period from lending stays within the maximum."""
    policy.require(actor, perms.CIRCULATION_LEND)
    loan = _lock_loan(loan)
    if not loan.is_open:
        raise InvalidTransition(_("该借阅已归还,不能续借"))
    due = services.check_period(start=loan.lent_at, end=due, dossier=loan.dossier, field="due")
    if due <= loan.due_at:
        raise ApplicationError(_("续借后的应还时间须晚于原应还时间"), field="due")
    previous = loan.due_at
    loan.due_at = due
    loan.renewals += 1
    loan.save(update_fields=["due_at", "renewals"])
    audit_record(
        actor=actor,
        action="renew",
        obj=loan.dossier,
        detail={"loan": loan.pk, "from": previous, "to": due, "renewals": loan.renewals},
    )
    return loan


@refusals_audited("return", "loan")
@transaction.atomic
def loan_return(
    *, actor: User, loan: Loan, complete: bool, note: str = "", damage_note: str = ""
) -> Loan:
    """Take the dossier back after checking it; it is filed again. Lateness, missing
    pieces and damage are recorded on the loan, and each becomes a finding of the
    borrower (priced by the archive type's penalty rules)."""
    policy.require(actor, perms.CIRCULATION_LEND)
    loan = _lock_loan(loan)
    if not loan.is_open:
        raise InvalidTransition(_("该档案未借出或已归还"))
    note = (note or "").strip()[:500]
    damage_note = (damage_note or "").strip()[:500]
    if not complete and not note:
        raise ApplicationError(_("归还不完整时须说明缺少的内容"), field="note")
    dossier = Dossier.objects.select_for_update().get(pk=loan.dossier_id)
    now = timezone.now()
    loan.returned_at = now
    loan.returned_to = actor
    loan.return_complete = bool(complete)
    loan.returned_late = now > loan.due_at
    loan.return_note = note
    loan.damage_note = damage_note
    loan.save(
        update_fields=[
            "returned_at",
            "returned_to",
            "return_complete",
            "returned_late",
            "return_note",
            "damage_note",
        ]
    )
    if dossier.status == Dossier.Status.ON_LOAN:
        dossier = lifecycle.dossier_transition(
            actor=actor,
            dossier=dossier,
            to=Dossier.Status.FILED,
            reason=str(
                _("借阅人 %(user)s 归还")
                % {"user": loan.borrower.get_full_name() or loan.borrower.username}
            ),
            channel=DossierTransition.Channel.LOAN,
        )
    findings = _return_findings(actor=actor, loan=loan, dossier=dossier, now=now)
    audit_record(
        actor=actor,
        action="return",
        obj=dossier,
        detail={
            "loan": loan.pk,
            "borrower": loan.borrower.username,
            "complete": bool(complete),
            "note": note,
            "damage": damage_note,
            "overdue": loan.returned_late,
            "findings": findings,
        },
    )
    return loan


def _return_findings(
    *, actor: User, loan: Loan, dossier: Dossier, now: datetime.datetime
) -> list[int]:
    """The borrower's findings of a return: late (closed: nothing to correct), incomplete
    and damaged (open until the pieces are found or repaired). Their rule text is the
    type's penalty rule where there is one; the monthly statement prices them."""
    from dangan.intake import penalties
    from dangan.intake.models import Finding

    borrower = loan.borrower
    rules = penalties.rules_of(dossier.archive_type)
    facts: list[tuple[str, str, bool]] = []
    if loan.returned_late:
        days = (timezone.localdate(now) - timezone.localdate(loan.due_at)).days
        facts.append(
            (
                Finding.Kind.RETURN_LATE,
                gettext("应还 %(due)s,%(at)s 归还,逾期 %(days)d 天")
                % {
                    "due": timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M"),
                    "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
                    "days": max(days, 0),
                },
                True,
            )
        )
    if not loan.return_complete:
        facts.append((Finding.Kind.RETURN_INCOMPLETE, loan.return_note, False))
    if loan.damage_note:
        facts.append((Finding.Kind.RETURN_DAMAGED, loan.damage_note, False))
    made = []
    for kind, detail, closed in facts:
        rule = rules.get(kind)
        finding = Finding.objects.create(
            dossier=dossier,
            kind=kind,
            rule_key=f"loan:{loan.pk}:{kind}",
            rule=(rule.label if rule else str(Finding.Kind(kind).label))[:300],
            detail=detail,
            source=Finding.Source.LOAN,
            responsible=borrower,
            department=borrower.department,
            found_at=now,
            found_by=actor,
            status=Finding.Status.FIXED if closed else Finding.Status.OPEN,
            fixed_at=now if closed else None,
        )
        made.append(finding.pk)
    return made
