"""The numbers behind the dashboard's charts (SPEC C9, issue 26), within the viewer's
scope: every count is taken from the policy layer's querysets. Filters: a period of
months, a department, an archive type."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User

MAX_MONTHS = 24


@dataclass
class Chart:
    key: str
    title: Any
    rows: list[tuple[str, float]]
    unit: Any = ""
    note: Any = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "unit": str(self.unit),
            "note": str(self.note),
            "rows": [{"label": label, "value": value} for label, value in self.rows],
        }


@dataclass
class Filters:
    start: datetime.date  # first day of the first month
    end: datetime.date  # first day of the month after the last
    department: int | None = None
    archive_type: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.strftime("%Y-%m"),
            "to": (self.end - datetime.timedelta(days=1)).strftime("%Y-%m"),
            "department": self.department,
            "archive_type": self.archive_type,
        }

    def months(self) -> list[datetime.date]:
        found, day = [], self.start
        while day < self.end:
            found.append(day)
            day = (day + datetime.timedelta(days=32)).replace(day=1)
        return found


def _month(text: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m").date()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def parse_filters(params: Any) -> Filters:
    """`from`/`to` (YYYY-MM, the last six months by default), `department`, `type`; a bad
    value is named in `errors` (the API answers 400, the page shows it)."""
    today = timezone.localdate().replace(day=1)
    errors: dict[str, str] = {}
    last = _month(params.get("to", "")) if params.get("to") else today
    if last is None:
        errors["to"] = str(_("月份格式应为 YYYY-MM"))
        last = today
    first = _month(params.get("from", "")) if params.get("from") else None
    if params.get("from") and first is None:
        errors["from"] = str(_("月份格式应为 YYYY-MM"))
    if first is None:
        first = (last - datetime.timedelta(days=5 * 31)).replace(day=1)
    if first > last:
        errors["from"] = str(_("起始月份不能晚于截止月份"))
        first = last
    end = (last + datetime.timedelta(days=32)).replace(day=1)
    if (end.year - first.year) * 12 + end.month - first.month > MAX_MONTHS:
        errors["from"] = str(_("时间段最长 24 个月"))
        first = (end - datetime.timedelta(days=MAX_MONTHS * 30)).replace(day=1)
    ids: dict[str, int | None] = {}
    for key in ("department", "type"):
        raw = str(params.get(key, "") or "")
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            errors[key] = str(_("应为有效的编号"))
        ids[key] = int(raw) if raw and key not in errors else None
    return Filters(first, end, ids["department"], ids["type"], errors)


def _period(filters: Filters) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(filters.start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(filters.end, datetime.time.min, tzinfo=tz),
    )


def _rows(
    queryset: QuerySet[Any], label: str, labels: dict[Any, Any] | None = None
) -> list[tuple[str, float]]:
    found = queryset.values(label).annotate(n=Count("id")).order_by("-n", label)
    rows = []
    for row in found:
        value = row[label]
        name = labels.get(value, value) if labels is not None else value
        rows.append((str(name) if name not in (None, "") else str(_("未填")), float(row["n"])))
    return rows


def _dossiers(actor: User, filters: Filters) -> QuerySet[Any]:
    dossiers = policy.dossiers_for(actor)
    if filters.department is not None:
        dossiers = dossiers.filter(customer__department_id=filters.department)
    if filters.archive_type is not None:
        dossiers = dossiers.filter(archive_type_id=filters.archive_type)
    return dossiers


def _dossier_charts(actor: User, filters: Filters) -> Iterable[Chart]:
    from dangan.archives.models import Dossier

    if not policy.has_perm(actor, perms.DOSSIER_VIEW):
        return []
    dossiers = _dossiers(actor, filters)
    statuses = dict(Dossier.Status.choices)
    start, end = _period(filters)
    new = dossiers.filter(created_at__gte=start, created_at__lt=end)
    by_month = (
        new.annotate(m=TruncMonth("created_at")).values("m").annotate(n=Count("id")).order_by("m")
    )
    counted = {row["m"].strftime("%Y-%m") if row["m"] else "": row["n"] for row in by_month}
    return [
        Chart("dossiers_by_type", _("档案:按类型"), _rows(dossiers, "archive_type__name"), _("卷")),
        Chart("dossiers_by_status", _("档案:按状态"), _rows(dossiers, "status", statuses), _("卷")),
        Chart(
            "dossiers_by_department",
            _("档案:按部门"),
            _rows(dossiers, "customer__department__name"),
            _("卷"),
        ),
        Chart("dossiers_by_year", _("档案:按年度"), _rows(dossiers, "volume_year"), _("卷")),
        Chart(
            "dossiers_new_by_month",
            _("新建档案:按月"),
            [
                (m.strftime("%Y-%m"), float(counted.get(m.strftime("%Y-%m"), 0)))
                for m in filters.months()
            ],
            _("卷"),
        ),
    ]


def _customer_charts(actor: User, filters: Filters) -> Iterable[Chart]:
    from dangan.customers.models import Customer

    if not policy.has_perm(actor, perms.CUSTOMER_VIEW):
        return []
    customers = policy.customers_for(actor)
    if filters.department is not None:
        customers = customers.filter(department_id=filters.department)
    charts = [
        Chart(
            "customers_by_tier",
            _("客户:按等级"),
            _rows(customers, "tier", dict(Customer.Tier.choices)),
            _("户"),
        ),
        Chart(
            "customers_by_stage",
            _("客户:按阶段"),
            _rows(customers, "stage", dict(Customer.Stage.choices)),
            _("户"),
        ),
    ]
    fields = policy.customer_fields_for(actor)
    if fields is None:  # field-limited roles see no credit data
        charts.append(
            Chart(
                "customers_by_credit",
                _("客户:按信用等级"),
                _rows(customers, "credit_rating"),
                _("户"),
            )
        )
        limits = (
            customers.exclude(credit_limit__isnull=True)
            .values("credit_rating")
            .annotate(total=Sum("credit_limit"))
            .order_by("credit_rating")
        )
        charts.append(
            Chart(
                "credit_limits_by_rating",
                _("信用额度:按信用等级"),
                [(str(r["credit_rating"] or _("未评级")), float(r["total"] or 0)) for r in limits],
                _("元"),
            )
        )
    return charts


def _loan_charts(actor: User, filters: Filters) -> Iterable[Chart]:
    from dangan.circulation.selectors import loans_visible_to

    loans = loans_visible_to(actor)
    if filters.department is not None:
        loans = loans.filter(dossier__customer__department_id=filters.department)
    start, end = _period(filters)
    months = [m.strftime("%Y-%m") for m in filters.months()]

    def monthly(queryset: QuerySet[Any], column: str) -> dict[str, int]:
        found = (
            queryset.filter(**{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(m=TruncMonth(column))
            .values("m")
            .annotate(n=Count("id"))
        )
        return {row["m"].strftime("%Y-%m"): row["n"] for row in found if row["m"]}

    lent = monthly(loans, "lent_at")
    returned = monthly(loans, "returned_at")
    late = monthly(loans.filter(returned_at__gt=F("due_at")), "returned_at")
    overdue_now = loans.filter(returned_at__isnull=True, due_at__lt=timezone.now()).count()
    return [
        Chart(
            "loans_by_month", _("借出:按月"), [(m, float(lent.get(m, 0))) for m in months], _("次")
        ),
        Chart(
            "returns_by_month",
            _("归还:按月"),
            [(m, float(returned.get(m, 0))) for m in months],
            _("次"),
        ),
        Chart(
            "late_returns_by_month",
            _("逾期归还:按月"),
            [(m, float(late.get(m, 0))) for m in months],
            _("次"),
            _("当前逾期未还 %(n)s 次") % {"n": overdue_now},
        ),
    ]


def _intake_charts(actor: User, filters: Filters) -> Iterable[Chart]:
    """上交及时率 and 完整率 by month, and by person and department for the last month,
    from the monthly intake statement (the same numbers as 考核月报)."""
    from dangan.intake.penalties import penalty_statement
    from dangan.intake.selectors import statement_people

    if not policy.has_perm(actor, perms.INTAKE_STATEMENT):
        return []
    people = statement_people(actor)
    months = filters.months()[-6:]  # each month is a full statement: keep it to half a year
    statements = [penalty_statement(m.strftime("%Y-%m"), people=people) for m in months]

    def pct(value: Decimal | None) -> float:
        return float(value) if value is not None else 0.0

    last = statements[-1] if statements else None
    charts = [
        Chart(
            "intake_on_time_by_month",
            _("上交及时率:按月"),
            [(s.month, pct(s.total.on_time_rate)) for s in statements],
            "%",
        ),
        Chart(
            "intake_complete_by_month",
            _("完整率:按月"),
            [(s.month, pct(s.total.complete_rate)) for s in statements],
            "%",
        ),
    ]
    if last is not None:
        charts += [
            Chart(
                "intake_on_time_by_person",
                _("上交及时率:按人(%(month)s)") % {"month": last.month},
                [(r.name, pct(r.on_time_rate)) for r in last.people if r.due],
                "%",
            ),
            Chart(
                "intake_on_time_by_department",
                _("上交及时率:按部门(%(month)s)") % {"month": last.month},
                [(r.name, pct(r.on_time_rate)) for r in last.departments if r.due],
                "%",
            ),
        ]
    return charts


def _service_charts(actor: User, filters: Filters) -> Iterable[Chart]:
    from dangan.service.models import Ticket, Transaction

    if not policy.has_perm(actor, perms.SERVICE_VIEW):
        return []
    start, end = _period(filters)
    tickets = policy.service_records_for(actor, Ticket).filter(
        received_at__gte=start, received_at__lt=end
    )
    if filters.department is not None:
        tickets = tickets.filter(customer__department_id=filters.department)
    satisfaction = dict(Ticket.SATISFACTION)
    money = (
        policy.service_records_for(actor, Transaction)
        .filter(date__gte=filters.start, date__lt=filters.end)
        .filter(Q(kind="arrears") | Q(kind="repayment"))
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by("kind")
    )
    kinds = dict(Transaction.Kind.choices)
    return [
        Chart("tickets_by_category", _("工单:按类别"), _rows(tickets, "category__name"), _("张")),
        Chart(
            "tickets_by_satisfaction",
            _("工单:按满意度"),
            _rows(tickets.exclude(satisfaction=None), "satisfaction", satisfaction),
            _("张"),
        ),
        Chart(
            "arrears",
            _("欠款与还款"),
            [(str(kinds[r["kind"]]), float(r["total"] or 0)) for r in money],
            _("元"),
        ),
    ]


SOURCES = (_dossier_charts, _customer_charts, _intake_charts, _loan_charts, _service_charts)


def dashboard(actor: User, filters: Filters) -> list[Chart]:
    return [chart for source in SOURCES for chart in source(actor, filters)]
