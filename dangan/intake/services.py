"""Every change of intake data (STYLE 1): audit runs and findings, document facts,
exception statements and their chain, penalties, the working-day calendar."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives.checklist import dossier_checklist
from dangan.archives.models import ChecklistItem, Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep, RuleKind
from dangan.circulation.rules import choose_rule
from dangan.circulation.services import notify
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.documents.models import Document
from dangan.intake import calendar as calendar_source
from dangan.intake import checks, penalties
from dangan.intake.calendar import Calendar
from dangan.intake.models import (
    AuditRun,
    DocumentCheck,
    ExceptionStatement,
    Finding,
    Holiday,
    Penalty,
)
from dangan.rules.services import approval_rule_version, archive_type_version

# Kinds whose absence makes a dossier "complete" for the 完整率 (lateness is timeliness;
# what borrowers did is theirs, not the bag's hand-over).
COMPLETENESS_KINDS = frozenset(
    k
    for k in Finding.Kind.values
    if k
    not in {
        Finding.Kind.LATE,
        Finding.Kind.UNAPPROVED_USE,
        Finding.Kind.UNAPPROVED_COPY,
        Finding.Kind.RETURN_LATE,
        Finding.Kind.RETURN_INCOMPLETE,
        Finding.Kind.RETURN_DAMAGED,
    }
)


def _responsible(dossier: Dossier) -> tuple[User, Department | None]:
    if dossier.customer is None:  # a company file: whoever filed it, in its department
        if dossier.created_by is None:
            raise ApplicationError(_("无法确定该档案的责任人"), field="dossier")
        return dossier.created_by, dossier.department
    owner = dossier.customer.owner
    return owner, owner.department or dossier.customer.department


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(18, 0)))


# Kinds a clerk records by hand: everything but lateness, which the deadline decides, and
# what a loan's return records (circulation.lending.loan_return).
RETURN_KINDS = frozenset(
    {Finding.Kind.RETURN_LATE, Finding.Kind.RETURN_INCOMPLETE, Finding.Kind.RETURN_DAMAGED}
)
RECORDABLE_KINDS = tuple(
    k for k in Finding.Kind.values if k != Finding.Kind.LATE and k not in RETURN_KINDS
)


def _may_record(actor: User, dossier: Dossier, handover: Any) -> None:
    """A finding is recorded by someone who may run the checks on the dossier, or by the
    receiver of a hand-over of it (a line found missing or wrong)."""
    if handover is None:
        policy.access_dossier(actor, dossier.pk, action=perms.INTAKE_AUDIT)
        return
    from dangan.handover import selectors as handover_selectors

    if not handover_selectors.is_receiver(actor, handover):
        raise Forbidden(_("只有接收方可以登记移交核对中的不合格项"))
    if not handover.items.filter(dossier_id=dossier.pk).exists():
        raise ApplicationError(_("该档案不在此移交单中"), field="dossier")


@transaction.atomic
def finding_record(
    *,
    actor: User,
    dossier: Dossier,
    kind: str,
    rule: str = "",
    detail: str = "",
    document: Document | None = None,
    checklist_item: ChecklistItem | None = None,
    responsible: User | None = None,
    handover: Any = None,
) -> Finding:
    """A finding noted by hand: the clerk records what no document shows (contact not
    verified, internal signature missing, bag lost …), or a hand-over's receiver an item
    marked missing or wrong (`handover` names that batch). Without a rule text, the
    type's penalty rule for the kind (or the kind's name) is the rule.

    A missing or wrong checklist item is one finding whichever check sees it first: if
    the audit run (or an earlier hand-over) has it open already, that finding is
    returned and nothing new is recorded, so it is fined once."""
    _may_record(actor, dossier, handover)
    if kind not in RECORDABLE_KINDS:
        raise ApplicationError(_("未知的稽核结果类别"), field="kind")
    rule = rule.strip() or _default_rule(dossier, kind)
    if document is not None and document.dossier_id != dossier.pk:
        raise ApplicationError(_("该文件不属于此档案"), field="document")
    if checklist_item is not None and checklist_item.archive_type_id != dossier.archive_type_id:
        raise ApplicationError(_("该清单项不属于此档案类型"), field="checklist_item")
    key = item_rule_key(kind, checklist_item)
    if key:
        Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
        existing = dossier.findings.filter(status=Finding.Status.OPEN, rule_key=key).first()
        if existing is not None:
            audit_record(
                actor=actor,
                action="finding_record",
                obj=dossier,
                detail={"finding": existing.pk, "kind": kind, "rule": rule, "known": True},
            )
            return existing
    owner, department = _responsible(dossier)
    person = responsible or owner
    finding = Finding.objects.create(
        dossier=dossier,
        kind=kind,
        rule_key=key,
        rule=rule[:300],
        detail=detail.strip(),
        source=Finding.Source.MANUAL,
        document=document,
        checklist_item=checklist_item,
        responsible=person,
        department=person.department or department,
        found_at=timezone.now(),
        found_by=actor,
        rule_version=archive_type_version(dossier.archive_type),
    )
    audit_record(
        actor=actor,
        action="finding_record",
        obj=dossier,
        detail={"finding": finding.pk, "kind": kind, "rule": finding.rule},
    )
    return finding


def _default_rule(dossier: Dossier, kind: str) -> str:
    rule = penalties.rules_of(dossier.archive_type).get(kind)
    return rule.title if rule is not None else str(Finding.Kind(kind).label)


def item_rule_key(kind: str, checklist_item: ChecklistItem | None) -> str:
    """The key of a finding about one checklist item ("missing:SALES_CONTRACT"), the same
    for every check that finds it (the audit's completeness check, a hand-over's line):
    one open finding per rule and item. Empty for other findings."""
    if checklist_item is None or kind not in (Finding.Kind.MISSING, Finding.Kind.WRONG):
        return ""
    return f"{kind}:{checklist_item.code}"


@transaction.atomic
def dossier_audit(
    *, actor: User | None, dossier: Dossier, today: datetime.date | None = None
) -> list[Finding]:
    """Rerun the checks: open a finding per new issue, close (fixed) the audit findings no
    longer raised. Returns the dossier's open findings. Locks the dossier row so that two
    runs at once do not open the same finding twice. Without an actor: the system's own
    run (the scheduled checks); an actor must be allowed to run the checks on it."""
    if actor is not None:
        policy.access_dossier(actor, dossier.pk, action=perms.INTAKE_AUDIT)
    locked = Dossier.objects.select_for_update(of=("self",)).select_related(
        "archive_type", "customer__owner__department"
    )
    dossier = locked.get(pk=dossier.pk)
    now = timezone.now()
    cal = Calendar()
    today = today or timezone.localdate()
    issues, _result = checks.dossier_issues(dossier, cal=cal, today=today)
    open_by_key = {
        f.rule_key: f
        for f in dossier.findings.select_for_update(of=("self",)).filter(
            status=Finding.Status.OPEN, source=Finding.Source.AUDIT
        )
    }
    owner, department = _responsible(dossier)
    opened, fixed = [], []
    version = archive_type_version(dossier.archive_type) if issues else None
    for issue in issues:
        current = open_by_key.pop(issue.key, None)
        if current is not None:
            if issue.resolved_on is not None:
                current.status = Finding.Status.FIXED
                current.fixed_at = _aware(issue.resolved_on)
                current.save(update_fields=["status", "fixed_at"])
                fixed.append(current.pk)
            elif current.detail != issue.detail:
                current.detail = issue.detail
                current.save(update_fields=["detail"])
            continue
        if issue.resolved_on is not None and dossier.findings.filter(rule_key=issue.key).exists():
            continue  # this lateness is on record already
        if dossier.findings.filter(status=Finding.Status.OPEN, rule_key=issue.key).exists():
            continue  # another check (a hand-over) saw it first: one finding, one fine
        finding = Finding.objects.create(
            dossier=dossier,
            kind=issue.kind,
            rule_key=issue.key,
            rule=issue.rule[:300],
            detail=issue.detail,
            document=issue.document,
            checklist_item=issue.checklist_item,
            responsible=owner,
            department=department,
            found_at=now,
            found_by=actor,
            status=Finding.Status.FIXED if issue.resolved_on else Finding.Status.OPEN,
            fixed_at=now if issue.resolved_on else None,
            rule_version=version,
        )
        opened.append(finding.pk)
    for finding in open_by_key.values():
        finding.status = Finding.Status.FIXED
        finding.fixed_at = now
        finding.save(update_fields=["status", "fixed_at"])
        fixed.append(finding.pk)
    still_open = list(
        dossier.findings.filter(status=Finding.Status.OPEN).select_related(
            "document", "checklist_item", "responsible"
        )
    )
    for finding in still_open:
        count = 1 if penalties.reoffence_day(finding, cal, today) else 0
        if finding.reoffence_count != count:
            finding.reoffence_count = count
            finding.save(update_fields=["reoffence_count"])
    # A piece still waiting for its sign-off is no finding against the filer, but the bag
    # is not complete (完整率) until it is signed off.
    signing = any(row.required and row.signing for row in dossier_checklist(dossier).rows)
    AuditRun.objects.create(
        dossier=dossier,
        run_at=now,
        run_by=actor,
        complete=not signing and not any(f.kind in COMPLETENESS_KINDS for f in still_open),
        open_findings=len(still_open),
    )
    audit_record(
        actor=actor,
        action="audit_run",
        obj=dossier,
        detail={"opened": opened, "fixed": fixed, "open": len(still_open)},
    )
    return still_open


def _close_findings_on(document: Document, now: datetime.datetime) -> list[int]:
    """Close as fixed the open findings about this document (it is out of the record)."""
    closing = list(
        Finding.objects.select_for_update(of=("self",)).filter(
            document=document, status=Finding.Status.OPEN
        )
    )
    for finding in closing:
        finding.status = Finding.Status.FIXED
        finding.fixed_at = now
        finding.save(update_fields=["status", "fixed_at"])
    return [finding.pk for finding in closing]


def findings_after_supersede(*, actor: User, old: Document, new: Document) -> list[int]:
    """A wrong document replaced by a corrected one: its open findings are fixed.
    Called by documents.services.document_supersede, in its transaction."""
    fixed = _close_findings_on(old, timezone.now())
    if fixed:
        audit_record(
            actor=actor,
            action="finding_fix",
            obj=old.dossier,
            detail={"findings": fixed, "superseded": old.pk, "by": new.pk},
        )
    return fixed


def findings_after_void(*, actor: User, document: Document) -> Finding | None:
    """A document voided: its open findings no longer apply (fixed); if its checklist
    item is required and no valid document of it remains, the item is missing again
    (one open finding per item, as the audit would open it). Called by
    documents.services.document_void, in its transaction; returns the missing finding."""
    now = timezone.now()
    fixed = _close_findings_on(document, now)
    if fixed:
        audit_record(
            actor=actor,
            action="finding_fix",
            obj=document.dossier,
            detail={"findings": fixed, "voided": document.pk},
        )
    if document.checklist_item_id is None:
        return None
    dossier = Dossier.objects.select_related("archive_type", "customer__owner__department").get(
        pk=document.dossier_id
    )
    rows = dossier_checklist(dossier).rows
    row = next((r for r in rows if r.item.pk == document.checklist_item_id), None)
    if row is None or not row.missing:
        return None
    issue = checks.completeness_issue(row)
    existing = dossier.findings.filter(status=Finding.Status.OPEN, rule_key=issue.key).first()
    if existing is not None:
        return existing
    owner, department = _responsible(dossier)
    finding = Finding.objects.create(
        dossier=dossier,
        kind=issue.kind,
        rule_key=issue.key,
        rule=issue.rule[:300],
        detail=issue.detail,
        checklist_item=row.item,
        responsible=owner,
        department=department,
        found_at=now,
        found_by=actor,
    )
    audit_record(
        actor=actor,
        action="finding_record",
        obj=dossier,
        detail={"finding": finding.pk, "kind": finding.kind, "voided": document.pk},
    )
    return finding


@transaction.atomic
def finding_fix(*, actor: User, finding: Finding, note: str = "") -> Finding:
    """Mark a hand-recorded finding as corrected (audit findings close on the next run)."""
    policy.access_dossier(actor, finding.dossier_id, action=perms.INTAKE_AUDIT)
    finding = Finding.objects.select_for_update(of=("self",)).get(pk=finding.pk)
    if finding.status != Finding.Status.OPEN:
        raise InvalidTransition(_("该稽核结果已不是待整改状态"))
    finding.status = Finding.Status.FIXED
    finding.fixed_at = timezone.now()
    finding.save(update_fields=["status", "fixed_at"])
    audit_record(
        actor=actor,
        action="finding_fix",
        obj=finding.dossier,
        detail={"finding": finding.pk, "note": note},
    )
    return finding


@transaction.atomic
def document_check_save(
    *,
    actor: User,
    document: Document,
    values: dict[str, Any],
    stamped: bool | None = None,
    signed: bool | None = None,
    copies: int | None = None,
) -> DocumentCheck:
    """Record what the clerk read off a document. Keys of `values` must be fields the
    type's consistency rules compare."""
    policy.access_document(actor, document.pk)
    dossier = policy.access_dossier(actor, document.dossier_id, action=perms.INTAKE_AUDIT)
    allowed = {str(r.get("field")) for r in dossier.archive_type.consistency or []}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ApplicationError(
            _("此档案类型不比对这些要素:%(k)s") % {"k": "、".join(unknown)}, field="values"
        )
    cleaned = {k: str(v).strip()[:200] for k, v in values.items() if str(v or "").strip()}
    if copies is not None and not 0 <= copies <= 99:
        raise ApplicationError(_("份数应在 0–99 之间"), field="copies")
    check, _created = DocumentCheck.objects.select_for_update(of=("self",)).get_or_create(
        document=document
    )
    check.values = cleaned
    check.stamped = stamped
    check.signed = signed
    check.copies = copies
    check.checked_by = actor
    check.checked_at = timezone.now()
    check.save()
    audit_record(
        actor=actor,
        action="document_check",
        obj=document,
        detail={"values": cleaned, "stamped": stamped, "signed": signed, "copies": copies},
    )
    return check


# --- exception statements (情况说明) ---------------------------------------------------
# Their chain is the approval engine's (dangan.circulation.approvals), chosen by the
# approval rule of kind `statement` (shipped: seed 003 #5 四.3 销售经理确认 → 客服经理 →
# 总经理, as the responsible person's department manager, customer service, the director).


class StatementSubject(approvals.Subject):
    """A statement asks on behalf of the finding's responsible person: a step bound to
    `requester` is signed in the finding's department, one bound to `customer` in the
    customer's; neither known, by any holder of the role. Neither the submitter nor the
    responsible person signs it."""

    field = "statement"
    rule_kinds = ("statement",)
    strict_departments = False
    # The statement is read on its finding's page, which only those who see the dossier
    # open (dangan.intake.selectors.access_finding): nobody else signs a step of it.
    holder_permission = perms.DOSSIER_VIEW
    opens_what = gettext_lazy("稽核结果和情况说明")
    obj: ExceptionStatement

    @property
    def requester(self) -> User:
        return self.obj.submitted_by

    @property
    def barred(self) -> frozenset[int]:
        finding = self.obj.finding
        return frozenset(pk for pk in (self.obj.submitted_by_id, finding.responsible_id) if pk)

    def can_open(self, user: User) -> bool:
        return policy.dossiers_for(user).filter(pk=self.obj.finding.dossier_id).exists()

    def department(self, which: str) -> Department | None:
        finding = self.obj.finding
        if which == "requester":
            return finding.department
        department: Department | None = finding.dossier.owner_department
        return department

    @property
    def is_open(self) -> bool:
        return self.obj.status == ExceptionStatement.Status.PENDING

    @property
    def since(self) -> datetime.datetime:
        return self.obj.submitted_at

    @property
    def what(self) -> str:
        return _("档案袋情况说明 %(number)s") % {"number": self.obj.finding.dossier.archive_number}

    @property
    def link(self) -> str:
        return approvals.link("intake:finding", self.obj.finding_id)

    @property
    def audit_obj(self) -> Any:
        return self.obj.finding.dossier

    def audit_detail(self) -> dict[str, Any]:
        return {"finding": self.obj.finding_id, "statement": self.obj.pk}

    def ask(self, step: ApprovalStep) -> str:
        return _("待审批:档案袋情况说明 %(number)s(%(step)s),%(user)s 提交") % {
            "number": self.obj.finding.dossier.archive_number,
            "step": approvals.office(step),
            "user": self.obj.submitted_by,
        }


@transaction.atomic
def statement_submit(*, actor: User, finding: Finding, text: str) -> ExceptionStatement:
    """Ask that a finding be accepted as an exception; anyone who sees the dossier (the
    responsible person first of all) may ask. The chain is the rules' (kind `statement`),
    the rule's version in force recorded on the statement."""
    policy.access_dossier(actor, finding.dossier_id)
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("responsible", "dossier__customer", "department")
        .get(pk=finding.pk)
    )
    if finding.status != Finding.Status.OPEN:
        raise InvalidTransition(_("只能为待整改的稽核结果提交情况说明"))
    if not text.strip():
        raise ApplicationError(_("请填写情况说明"), field="text")
    if finding.statements.filter(status=ExceptionStatement.Status.PENDING).exists():
        raise InvalidTransition(_("该稽核结果已有审批中的情况说明"))
    rule = choose_rule(actor=actor, kind=RuleKind.STATEMENT, field="text")
    if not rule.steps:  # the rules' schema refuses such a rule; fail closed all the same
        raise ApplicationError(_("情况说明的审批规则没有审批步骤,请联系档案管理员"), field="text")
    now = timezone.now()
    statement = ExceptionStatement.objects.create(
        finding=finding,
        text=text.strip(),
        submitted_by=actor,
        submitted_at=now,
        rule=rule,
        rule_version=approval_rule_version(rule),
    )
    steps = approvals.chain_open(StatementSubject(statement), rule, now=now, field="text")
    audit_record(
        actor=actor,
        action="statement_submit",
        obj=finding.dossier,
        detail={
            "finding": finding.pk,
            "statement": statement.pk,
            "rule": rule.name,
            "rule_version": statement.rule_version.number if statement.rule_version else None,
            "steps": [f"{s.role}@{s.department or '*'}" for s in steps],
        },
    )
    return statement


def _notify_submitter(statement: ExceptionStatement) -> None:
    """Tell the submitter how the statement ended."""
    finding = statement.finding
    notify(
        user=statement.submitted_by,
        text=_("您提交的档案袋情况说明 %(number)s %(status)s")
        % {"number": finding.dossier.archive_number, "status": statement.get_status_display()},
        link=reverse("intake:finding", kwargs={"pk": finding.pk}),
    )


def may_decide(actor: User, statement: ExceptionStatement) -> bool:
    """Whether `actor` may sign the statement's current step (never their own, nor one
    they are responsible for)."""
    if statement.status != ExceptionStatement.Status.PENDING:
        return False
    subject = StatementSubject(statement)
    if actor.pk in subject.barred:
        return False
    step = approvals.pending_step(subject)
    return step is not None and approvals.may_sign(actor, step)


def _decide(actor: User, statement: ExceptionStatement) -> tuple[ExceptionStatement, ApprovalStep]:
    statement = (
        ExceptionStatement.objects.select_for_update(of=("self",))
        .select_related("finding__dossier", "submitted_by")
        .get(pk=statement.pk)
    )
    if statement.status != ExceptionStatement.Status.PENDING:
        raise InvalidTransition(_("该情况说明已审批完毕"))
    step = approvals.decidable_step(
        actor, StatementSubject(statement), own=_("不能审批自己提交或自己负责的情况说明")
    )
    return statement, step


@refusals_audited("approve", "statement")
@transaction.atomic
def statement_approve(
    *, actor: User, statement: ExceptionStatement, note: str = ""
) -> ExceptionStatement:
    statement, step = _decide(actor, statement)
    now = timezone.now()
    following = approvals.step_approve(
        StatementSubject(statement), step, actor=actor, note=note[:200], now=now
    )
    last = following is None
    if last:
        statement.status = ExceptionStatement.Status.APPROVED
        statement.decided_at = now
        statement.save(update_fields=["status", "decided_at"])
        finding = Finding.objects.select_for_update(of=("self",)).get(pk=statement.finding_id)
        if finding.status == Finding.Status.OPEN:
            finding.status = Finding.Status.EXCEPTED
            finding.fixed_at = statement.decided_at
            finding.save(update_fields=["status", "fixed_at"])
    audit_record(
        actor=actor,
        action="statement_approve",
        obj=statement.finding.dossier,
        detail={"statement": statement.pk, "step": step.position, "final": last},
    )
    if last:
        _notify_submitter(statement)
    return statement


@refusals_audited("deny", "statement")
@transaction.atomic
def statement_deny(
    *, actor: User, statement: ExceptionStatement, note: str = ""
) -> ExceptionStatement:
    statement, step = _decide(actor, statement)
    now = timezone.now()
    approvals.step_deny(StatementSubject(statement), step, actor=actor, note=note[:200], now=now)
    statement.status = ExceptionStatement.Status.DENIED
    statement.decided_at = now
    statement.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action="statement_deny",
        obj=statement.finding.dossier,
        detail={"statement": statement.pk, "step": step.position},
    )
    _notify_submitter(statement)
    return statement


# --- penalties ----------------------------------------------------------------------


@transaction.atomic
def penalties_assess(*, actor: User | None, month: str) -> list[Penalty]:
    """Fix the month's fines as records (re-assessing replaces the month's rows). Without
    an actor: the system's own monthly run."""
    if actor is not None:
        policy.require(actor, perms.INTAKE_ASSESS)
    try:
        penalties.month_bounds(month)
    except ValueError:
        raise ApplicationError(_("月份格式应为 YYYY-MM"), field="month") from None
    now = timezone.now()
    Penalty.objects.filter(month=month).delete()
    rows = [
        Penalty(
            finding=v.finding,
            occurrence=v.occurrence,
            person=v.finding.responsible,
            department=v.finding.department,
            month=month,
            occurred_on=v.on,
            nth=v.nth,
            amount=v.amount,
            reason=v.reason,
            assessed_at=now,
        )
        for v in penalties.violations(month)
        if v.finding.responsible is not None
    ]
    Penalty.objects.bulk_create(rows)
    total = sum((p.amount for p in rows), penalties.CENT * 0)
    audit_record(
        actor=actor,
        action="penalty_assess",
        object_type="penalty",
        object_repr=month,
        detail={"month": month, "count": len(rows), "total": str(total)},
    )
    return rows


# --- the working-day calendar -------------------------------------------------------


@transaction.atomic
def holiday_set(*, actor: User, date: datetime.date, kind: str, name: str = "") -> Holiday:
    """Mark a date as a holiday or a worked weekend day (调休), replacing what it was."""
    policy.require(actor, perms.INTAKE_CALENDAR)
    if kind not in Holiday.Kind.values:
        raise ApplicationError(_("请选择放假或调休上班"), field="kind")
    holiday, _created = Holiday.objects.update_or_create(
        date=date,
        defaults={
            "kind": kind,
            "name": name.strip()[:40],
            "source": calendar_source.MANUAL_SOURCE,
            "provisional": False,
        },
    )
    audit_record(actor=actor, action="calendar_set", obj=holiday, detail={"kind": kind})
    return holiday


@transaction.atomic
def holiday_remove(*, actor: User, holiday_id: Any) -> Holiday:
    """Drop a date's exception: it follows the Monday–Friday rule again."""
    policy.require(actor, perms.INTAKE_CALENDAR)
    holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
    if holiday is None:
        raise NotFound(_("记录不存在或您无权查看"))
    audit_record(actor=actor, action="calendar_remove", obj=holiday)
    holiday.delete()
    return holiday


@transaction.atomic
def calendar_load(*, actor: User | None, year: int) -> int:
    """Load `year`: the shipped official schedule (it replaces the year's provisional
    dates and overwrites the dates it names), or, where none is shipped, the statutory
    holidays computed and marked 暂定 (they never overwrite a date already kept).
    Without an actor: the system's own load (`dangan init`, `dangan demo`)."""
    if actor is not None:
        policy.require(actor, perms.INTAKE_CALENDAR)
    if not 2000 <= year <= 2100:
        raise ApplicationError(_("年份应在 2000–2100 之间"), field="year")
    rows, source, provisional = calendar_source.schedule_for(year)
    if not provisional:
        Holiday.objects.filter(date__year=year, provisional=True).delete()
    written = 0
    for day, kind, name in rows:
        values = {"kind": kind, "name": name, "source": source, "provisional": provisional}
        if provisional:
            written += int(Holiday.objects.get_or_create(date=day, defaults=values)[1])
        else:
            Holiday.objects.update_or_create(date=day, defaults=values)
            written += 1
    audit_record(
        actor=actor,
        action="calendar_load",
        object_type="holiday",
        object_repr=str(year),
        detail={"year": year, "dates": written, "source": source, "provisional": provisional},
    )
    return written


def calendar_load_defaults(*, today: datetime.date | None = None) -> list[int]:
    """The system's own load (`dangan init`, `dangan demo`): this year and the next,
    each loaded when it has no dates yet, or when it holds only provisional dates and
    the official schedule now ships. Returns the years loaded."""
    today = today or timezone.localdate()
    loaded = []
    for year in (today.year, today.year + 1):
        dates = Holiday.objects.filter(date__year=year)
        official = bool(calendar_source.official_schedule(year))
        stale = official and dates.filter(provisional=True).exists()
        if not dates.exists() or stale:
            calendar_load(actor=None, year=year)
            loaded.append(year)
    return loaded
