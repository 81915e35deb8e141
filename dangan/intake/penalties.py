"""Penalty rules as data (ArchiveType.penalties) and the monthly statement (考核月报).

A rule: {finding, amount ('50.00'), escalate_from (n), factor (2), label}. The rule's
`finding` names a finding kind, or one of the seeds' words mapped below. Within one
calendar month the violations of one person are counted in date order; the n-th
violation, n >= escalate_from, costs amount × factor. A finding left unfixed for more
than one working day counts once more (seed 001 五.10, "视同再次违规"), on the first
working day after its grace day. Excepted findings (approved 情况说明) cost nothing and
do not count. Money is Decimal throughout.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import Department, User
from dangan.archives.models import ArchiveType
from dangan.core.errors import ApplicationError
from dangan.intake.calendar import Calendar
from dangan.intake.models import Finding
from dangan.rules.schema import PenaltyRule, parse_penalties

CENT = Decimal("0.01")
GRACE_WORKING_DAYS = 1
Rule = PenaltyRule  # the schema's typed rule: {finding, amount, escalate_from, factor, label}


def rules_of(archive_type: ArchiveType) -> dict[str, PenaltyRule]:
    """Finding kind → its rule for this archive type (the first rule naming a kind wins),
    read through the one schema: a stored rule it refuses (a negative amount, an unknown
    kind) is an error naming the type, never a fine of nothing."""
    try:
        parsed = parse_penalties(archive_type.penalties)
    except ApplicationError as exc:
        raise ApplicationError(
            _("档案类型“%(t)s”的考核规则无效:%(e)s") % {"t": archive_type.name, "e": exc.message},
            field="penalties",
        ) from None
    found: dict[str, PenaltyRule] = {}
    for rule in parsed:
        for kind in rule.kinds:
            found.setdefault(kind, rule)
    return found


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """'2026-10' → (2026-10-01, 2026-11-01); ValueError for anything else."""
    year_text, sep, month_text = month.partition("-")
    if not (sep and len(year_text) == 4 and len(month_text) == 2):
        raise ValueError(month)
    start = datetime.date(int(year_text), int(month_text), 1)
    end = datetime.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def month_of(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class Violation:
    finding: Finding
    occurrence: int
    on: datetime.date
    rule: Rule
    nth: int = 0
    amount: Decimal = Decimal("0.00")

    @property
    def reason(self) -> str:
        again = "(未在一个工作日内改正,视同再次违规)" if self.occurrence else ""
        doubled = (
            f",当月第{self.nth}次,×{self.rule.factor}" if self.amount > self.rule.amount else ""
        )
        return f"{self.rule.title}{again}{doubled}"[:300]


def reoffence_day(finding: Finding, cal: Calendar, today: datetime.date) -> datetime.date | None:
    """The day an unfixed finding counts again, if it has come (and it was not fixed in time).
    A loan's return is counted once: the borrower has no bag to correct."""
    if finding.source == Finding.Source.LOAN:
        return None
    found = timezone.localtime(finding.found_at).date()
    grace_end = cal.add_working_days(found, GRACE_WORKING_DAYS)
    again = cal.add_working_days(grace_end, 1)
    fixed = timezone.localtime(finding.fixed_at).date() if finding.fixed_at else None
    if fixed is not None and fixed <= grace_end:
        return None
    if fixed is None and today < again:
        return None
    if fixed is not None and fixed < again:
        return None
    return again


def violations(
    month: str, *, cal: Calendar | None = None, today: datetime.date | None = None
) -> list[Violation]:
    """Every priced violation in `month`, numbered per person and priced with escalation."""
    start, end = month_bounds(month)
    cal = cal or Calendar()
    today = today or timezone.localdate()
    # Re-offences of findings from the previous weeks can fall into this month.
    window = start - datetime.timedelta(days=31)
    findings = (
        Finding.objects.filter(responsible__isnull=False, found_at__date__lt=end)
        .filter(found_at__date__gte=window)
        .exclude(status=Finding.Status.EXCEPTED)
        .select_related("dossier__archive_type", "responsible")
        .order_by("found_at", "id")
    )
    rules_cache: dict[int, dict[str, Rule]] = {}
    found: list[Violation] = []
    for finding in findings:
        archive_type = finding.dossier.archive_type
        if archive_type.pk not in rules_cache:
            rules_cache[archive_type.pk] = rules_of(archive_type)
        rule = rules_cache[archive_type.pk].get(finding.kind)
        if rule is None:
            continue
        first = timezone.localtime(finding.found_at).date()
        if start <= first < end:
            found.append(Violation(finding, 0, first, rule))
        again = reoffence_day(finding, cal, today)
        if again is not None and start <= again < end:
            found.append(Violation(finding, 1, again, rule))
    found.sort(key=lambda v: (v.on, v.finding.found_at, v.finding.pk, v.occurrence))
    counts: dict[int, int] = defaultdict(int)
    for v in found:
        person = v.finding.responsible_id or 0
        counts[person] += 1
        v.nth = counts[person]
        escalated = v.rule.escalate_from and v.nth >= v.rule.escalate_from
        v.amount = (v.rule.amount * (v.rule.factor if escalated else 1)).quantize(CENT)
    return found


@dataclass
class StatementRow:
    key: str
    name: str
    department: str = ""
    due: int = 0
    on_time: int = 0
    checked: int = 0
    complete: int = 0
    violations: int = 0
    amount: Decimal = field(default_factory=lambda: Decimal("0.00"))

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))

    @property
    def on_time_rate(self) -> Decimal | None:
        return self._rate(self.on_time, self.due)

    @property
    def complete_rate(self) -> Decimal | None:
        return self._rate(self.complete, self.checked)

    def add(self, other: StatementRow) -> None:
        self.due += other.due
        self.on_time += other.on_time
        self.checked += other.checked
        self.complete += other.complete
        self.violations += other.violations
        self.amount += other.amount

    def as_dict(self) -> dict[str, Any]:
        def pct(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "name": self.name,
            "department": self.department,
            "due": self.due,
            "on_time": self.on_time,
            "on_time_rate": pct(self.on_time_rate),
            "checked": self.checked,
            "complete": self.complete,
            "complete_rate": pct(self.complete_rate),
            "violations": self.violations,
            "amount": str(self.amount.quantize(CENT)),
        }


@dataclass
class Statement:
    month: str
    people: list[StatementRow]
    departments: list[StatementRow]
    total: StatementRow
    lines: list[Violation]


def person_name(user: User) -> str:
    return user.full_name or user.username


def dept_name(department: Department | None) -> str:
    return department.name if department else "(无部门)"


def timeliness(result: Any, today: datetime.date) -> tuple[datetime.date, bool] | None:
    """(due day, on time) for the 上交及时率, or None while the bag does not count yet.

    A bag counts once it is submitted (on time when submitted on or before its due day) or
    once its due day is over without it (late). A bag not yet due and not yet submitted is
    neither: counting it as late would show 0 % on the morning its bags are due."""
    due = result.due_date
    if due is None:
        return None
    if result.submitted is not None:
        return due, result.submitted <= due
    if today > due:
        return due, False
    return None


def penalty_statement(
    month: str,
    *,
    people: Q | None = None,
    cal: Calendar | None = None,
    today: datetime.date | None = None,
) -> Statement:
    """Per person and per department for `month`: dossiers due and on time (上交及时率),
    dossiers checked and complete (完整率), violations and fines. `people` restricts the
    persons shown (the caller's data scope)."""
    from dangan.archives.models import Dossier
    from dangan.intake import deadlines
    from dangan.intake.models import AuditRun

    start, end = month_bounds(month)
    cal = cal or Calendar()
    today = today or timezone.localdate()
    allowed = set(User.objects.filter(people or Q()).values_list("pk", flat=True))
    rows: dict[int, StatementRow] = {}
    users: dict[int, User] = {}

    def row_for(user: User) -> StatementRow:
        if user.pk not in rows:
            users[user.pk] = user
            rows[user.pk] = StatementRow(
                key=str(user.pk), name=person_name(user), department=dept_name(user.department)
            )
        return rows[user.pk]

    # Due and on time: dossiers whose deadline falls in the month, by the customer's owner.
    # Candidates: opened since a few months before (a deadline follows its business date;
    # a bag may be opened after its due month, when it is handed in late).
    candidates = (
        Dossier.objects.filter(customer__owner_id__in=allowed)
        .exclude(archive_type__deadline={})
        .filter(created_at__date__gte=start - datetime.timedelta(days=120))
        .select_related("customer__owner__department")
    )
    for dossier in deadlines.prime(list(candidates)):
        result = deadlines.dossier_deadline(dossier, cal=cal, today=today)
        counted = timeliness(result, today)
        if counted is None or not (start <= counted[0] < end):
            continue
        if dossier.customer is None:  # excluded by the query: company files have no owner
            continue
        row = row_for(dossier.customer.owner)
        row.due += 1
        row.on_time += int(counted[1])
    # Checked and complete: the last run of each dossier checked in the month.
    last_runs: dict[int, AuditRun] = {}
    for run in (
        AuditRun.objects.filter(run_at__date__gte=start, run_at__date__lt=end)
        .filter(dossier__customer__owner_id__in=allowed)
        .select_related("dossier__customer__owner__department")
        .order_by("run_at", "id")
    ):
        last_runs[run.dossier_id] = run
    for run in last_runs.values():
        if run.dossier.customer is None:  # as above
            continue
        row = row_for(run.dossier.customer.owner)
        row.checked += 1
        row.complete += int(run.complete)
    lines = [
        v for v in violations(month, cal=cal, today=today) if v.finding.responsible_id in allowed
    ]
    for v in lines:
        if v.finding.responsible is None:  # filtered in violations(); for the type checker
            continue
        row = row_for(v.finding.responsible)
        row.violations += 1
        row.amount += v.amount
    people_rows = sorted(rows.values(), key=lambda r: (r.department, r.name))
    by_dept: dict[str, StatementRow] = {}
    total = StatementRow(key="total", name="合计")
    for row in people_rows:
        dept = by_dept.setdefault(
            row.department, StatementRow(key=row.department, name=row.department)
        )
        dept.add(row)
        total.add(row)
    return Statement(
        month, people_rows, sorted(by_dept.values(), key=lambda r: r.name), total, lines
    )
