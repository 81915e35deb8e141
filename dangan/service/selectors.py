"""Reads of service records, always through the policy layer's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Avg, Count, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.core.errors import NotFound
from dangan.service.models import Contact, Notice, Stay, Ticket, Transaction

_M = TypeVar("_M", bound=Model)


def _for_customer(queryset: QuerySet[_M], customer: int | None) -> QuerySet[_M]:
    return queryset.filter(customer_id=customer) if customer else queryset


def ticket_list(
    actor: User,
    *,
    customer: int | None = None,
    status: str = "",
    category: str = "",
    overdue: bool = False,
    q: str = "",
) -> QuerySet[Ticket]:
    tickets = _for_customer(policy.service_records_for(actor, Ticket), customer)
    if status == "open":
        tickets = tickets.filter(status__in=Ticket.OPEN)
    elif status:
        tickets = tickets.filter(status=status)
    if category:
        tickets = tickets.filter(category__code=category)
    if overdue:
        tickets = tickets.filter(status__in=Ticket.OPEN, deadline__lt=timezone.localdate())
    if q:
        tickets = tickets.filter(
            Q(number__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(subject__icontains=q)
            | Q(description__icontains=q)
        )
    return tickets.select_related("customer", "category", "handler")


def contact_list(
    actor: User, *, customer: int | None = None, pending: bool = False
) -> QuerySet[Contact]:
    contacts = _for_customer(policy.service_records_for(actor, Contact), customer)
    if pending:
        contacts = contacts.filter(
            follow_up__isnull=False, follow_up_done_at__isnull=True
        ).order_by("follow_up", "id")
    return contacts.select_related("customer", "created_by")


def transaction_list(actor: User, *, customer: int | None = None) -> QuerySet[Transaction]:
    found = _for_customer(policy.service_records_for(actor, Transaction), customer)
    return found.select_related("customer", "created_by")


def stay_list(actor: User, *, customer: int | None = None) -> QuerySet[Stay]:
    found = _for_customer(policy.service_records_for(actor, Stay), customer)
    return found.select_related("customer", "created_by")


@dataclass(frozen=True)
class MonthStats:
    month: datetime.date
    total: int
    closed: int
    overdue: int
    by_category: list[dict[str, Any]]
    by_handler: list[dict[str, Any]]
    by_satisfaction: list[dict[str, Any]]
    average_satisfaction: float | None
    contacts: int
    transactions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "total": self.total,
            "closed": self.closed,
            "overdue": self.overdue,
            "by_category": self.by_category,
            "by_handler": self.by_handler,
            "by_satisfaction": self.by_satisfaction,
            "average_satisfaction": self.average_satisfaction,
            "contacts": self.contacts,
            "transactions": self.transactions,
        }


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following


def month_stats(actor: User, month: datetime.date) -> MonthStats:
    """The month's tickets received, by category, handler and satisfaction: only those
    the actor may see (the counts never include another scope's records)."""
    first, following = month_bounds(month)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=tz)
    tickets = policy.service_records_for(actor, Ticket).filter(
        received_at__gte=start, received_at__lt=end
    )
    today = timezone.localdate()
    satisfaction_names = dict(Ticket.SATISFACTION)
    by_satisfaction = [
        {
            "satisfaction": row["satisfaction"],
            "label": str(satisfaction_names.get(int(row["satisfaction"] or 0), "")),
            "count": row["n"],
        }
        for row in tickets.filter(satisfaction__isnull=False)
        .values("satisfaction")
        .annotate(n=Count("id"))
        .order_by("-satisfaction")
    ]
    by_handler = [
        {
            "handler": row["handler"],
            "name": row["handler__full_name"] or row["handler__username"] or "",
            "count": row["n"],
            "closed": row["closed"],
        }
        for row in tickets.values("handler", "handler__full_name", "handler__username")
        .annotate(n=Count("id"), closed=Count("id", filter=Q(status=Ticket.Status.CLOSED)))
        .order_by("-n", "handler")
    ]
    by_category = [
        {"category": row["category__code"], "name": row["category__name"], "count": row["n"]}
        for row in tickets.values("category__code", "category__name", "category__position")
        .annotate(n=Count("id"))
        .order_by("category__position", "category__code")
    ]
    average = tickets.aggregate(avg=Avg("satisfaction"))["avg"]
    return MonthStats(
        month=first,
        total=tickets.count(),
        closed=tickets.filter(status=Ticket.Status.CLOSED).count(),
        overdue=tickets.filter(status__in=Ticket.OPEN, deadline__lt=today).count(),
        by_category=by_category,
        by_handler=by_handler,
        by_satisfaction=by_satisfaction,
        average_satisfaction=round(float(average), 2) if average is not None else None,
        contacts=policy.service_records_for(actor, Contact)
        .filter(date__gte=first, date__lt=following)
        .count(),
        transactions=policy.service_records_for(actor, Transaction)
        .filter(date__gte=first, date__lt=following)
        .count(),
    )


def parse_month(text: str) -> datetime.date | None:
    """ "2026-12" → 2026-12-01; None for anything else."""
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m").date()  # noqa: DTZ007 - a date, no time
    except ValueError:
        return None


def notices_for(actor: User) -> QuerySet[Notice]:
    """Notices the actor sent or received."""
    return Notice.objects.filter(Q(sender=actor) | Q(receipts__user=actor)).distinct()


def access_notice(actor: User, notice_id: Any) -> Notice:
    try:
        key = int(notice_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    notice: Notice | None = notices_for(actor).filter(pk=key).first()
    if notice is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return notice
