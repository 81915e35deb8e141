"""Care and follow-up reminders (SPEC C9, issue 26), computed on request for a window of
days from the records themselves: nothing to keep in step. Marking one done stores its
key (ReminderDone), which names the thing and the day, so next year's birthday is new.

Kinds and where their dates come from:
  birthday       the customer's birth date (filled from the ID number when the customer is made)
  anniversary    a dossier's date field that its archive type declares `remind: anniversary`
                 (contract, purchase, delivery …), on each yearly return
  move_in        a date field declared `remind: move_in` (交房/入住), in the window
  contract_end   a date field declared `remind: contract_end` (contract or lease end), in the window
  handover_due   a dossier whose filing deadline (the type's deadline rule: the Friday
                 transfer, the hand-over before move-in …) falls in the window, not yet handed over
  loan_due       one's own loans (a lender: every loan) due in the window
  follow_up      the follow-up date of one's own contact log entries
  key_customer   a key customer (主力客户) with no contact logged this quarter (001: 每季度更新)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.fields import REMIND_KINDS
from dangan.home.models import ReminderDone

MAX_DOSSIERS = 20_000  # a window's date-field scan reads at most this many dossiers

KIND_LABELS: dict[str, Any] = {
    "birthday": _("生日"),
    "anniversary": _("纪念日"),
    "move_in": _("入住/交房"),
    "contract_end": _("合同到期"),
    "handover_due": _("档案移交期限"),
    "loan_due": _("借阅到期"),
    "follow_up": _("跟进"),
    "key_customer": _("重点客户季度更新"),
}
KINDS = tuple(KIND_LABELS)


@dataclass
class Reminder:
    key: str
    kind: str
    date: datetime.date
    title: str
    link: str
    owner_id: int | None = None
    done: bool = False
    note: str = ""

    @property
    def label(self) -> Any:
        return KIND_LABELS[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "kind": self.kind,
            "label": str(self.label),
            "date": self.date.isoformat(),
            "title": self.title,
            "link": self.link,
            "owner": self.owner_id,
            "done": self.done,
            "note": self.note,
        }


@dataclass(frozen=True)
class Window:
    start: datetime.date
    end: datetime.date  # inclusive

    def days(self) -> Iterable[datetime.date]:
        day = self.start
        while day <= self.end:
            yield day
            day += datetime.timedelta(days=1)

    def contains(self, day: datetime.date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def recurrence(self, origin: datetime.date) -> datetime.date | None:
        """The day in the window on which `origin`'s month and day come back, after it
        (29 February falls on 28 February in other years)."""
        for day in self.days():
            month_day = (origin.month, origin.day)
            if month_day == (2, 29) and not _leap(day.year):
                month_day = (2, 28)
            if (day.month, day.day) == month_day and day > origin:
                return day
        return None


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _customers(actor: User, owner: User | None) -> QuerySet[Any]:
    customers = policy.customers_for(actor)
    return customers.filter(owner=owner) if owner is not None else customers


def _customer_link(pk: int) -> str:
    return reverse("customers:detail", kwargs={"pk": pk})


def _birthdays(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    pairs = {(day.month, day.day) for day in window.days()}
    if (2, 28) in pairs:
        pairs.add((2, 29))
    match = Q(pk__in=[])
    for month, day in pairs:
        match |= Q(birth_date__month=month, birth_date__day=day)
    for customer in (
        _customers(actor, owner).filter(match).only("pk", "name", "birth_date", "owner_id")
    ):
        when = window.recurrence(customer.birth_date)
        if when is None:
            continue
        yield Reminder(
            f"birthday:{customer.pk}:{when.isoformat()}",
            "birthday",
            when,
            gettext("%(name)s %(age)s 岁生日")
            % {"name": customer.name, "age": when.year - customer.birth_date.year},
            _customer_link(customer.pk),
            customer.owner_id,
        )


def declared_dates(archive_types: Iterable[Any]) -> dict[int, dict[str, str]]:
    """For each archive type, its date fields that declare a reminder: {type id: {key: kind}}."""
    declared: dict[int, dict[str, str]] = {}
    for archive_type in archive_types:
        marks = {
            str(spec["key"]): str(spec["remind"])
            for spec in archive_type.fields or []
            if spec.get("remind") in REMIND_KINDS and spec.get("key")
        }
        if marks:
            declared[archive_type.pk] = marks
    return declared


def _dossier_dates(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    """Anniversaries, move-ins and contract ends from the date fields the types declare."""
    from dangan.archives.fields import parse_date
    from dangan.archives.models import ArchiveType

    declared = declared_dates(ArchiveType.objects.only("pk", "fields"))
    if not declared:
        return
    having = Q(pk__in=[])
    for type_id, marks in declared.items():
        keys = Q(pk__in=[])
        for key in marks:
            keys |= Q(fields__has_key=key)
        having |= Q(archive_type_id=type_id) & keys
    dossiers = policy.dossiers_for(actor).filter(customer__in=_customers(actor, owner))
    rows = (
        dossiers.filter(having)
        .exclude(status__in=["destroyed", "pending_disposal"])
        .select_related("customer", "archive_type")
        .order_by("-id")[:MAX_DOSSIERS]
    )
    for dossier in rows:
        labels = {f.get("key"): f.get("label", "") for f in dossier.archive_type.fields or []}
        customer = dossier.customer
        name = customer.name if customer else dossier.title
        owner_id = customer.owner_id if customer else None
        link = reverse("archives:dossier", kwargs={"pk": dossier.pk})
        for key, kind in declared.get(dossier.archive_type_id, {}).items():
            day = _date_field((dossier.fields or {}).get(key), parse_date)
            if day is None:
                continue
            if kind == "anniversary":
                when = window.recurrence(day)
                if when is not None:
                    years = when.year - day.year
                    yield Reminder(
                        f"anniversary:{dossier.pk}:{key}:{when.isoformat()}",
                        "anniversary",
                        when,
                        gettext("%(name)s %(what)s %(years)s 周年")
                        % {"name": name, "what": labels.get(key, key), "years": years},
                        link,
                        owner_id,
                    )
            elif window.contains(day):
                yield Reminder(
                    f"{kind}:{dossier.pk}:{key}:{day.isoformat()}",
                    kind,
                    day,
                    f"{name} {labels.get(key, key)} {dossier.archive_number}",
                    link,
                    owner_id,
                )


def _date_field(raw: Any, parse: Callable[[str], datetime.date]) -> datetime.date | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return parse(raw)
    except ValueError:  # a clerk's typo in a business field is no reminder
        return None


def _handovers_due(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    from dangan.archives.models import Dossier
    from dangan.intake import deadlines
    from dangan.intake.calendar import Calendar

    recent = window.start - datetime.timedelta(days=62)
    dossiers = (
        policy.dossiers_for(actor)
        .filter(customer__in=_customers(actor, owner), created_at__date__gte=recent)
        .filter(status=Dossier.Status.FILED)
        .exclude(archive_type__deadline={})
        .select_related("customer")
        .order_by("-id")[:MAX_DOSSIERS]
    )
    cal = Calendar()
    for dossier in deadlines.prime(list(dossiers)):
        result = deadlines.dossier_deadline(dossier, cal=cal, today=window.start)
        if result.submitted is not None or not window.contains(result.due_date):
            continue
        due = result.due_date
        assert due is not None  # contains() is False for None  # noqa: S101
        yield Reminder(
            f"handover_due:{dossier.pk}:{due.isoformat()}",
            "handover_due",
            due,
            f"{dossier.archive_number} {dossier.customer.name if dossier.customer else ''}",
            reverse("archives:dossier", kwargs={"pk": dossier.pk}),
            dossier.customer.owner_id if dossier.customer else None,
        )


def _loans(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    from dangan.circulation.selectors import loans_visible_to

    start = timezone.make_aware(datetime.datetime.combine(window.start, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(window.end, datetime.time.max))
    loans = loans_visible_to(actor).filter(returned_at__isnull=True, due_at__range=(start, end))
    if owner is not None:
        loans = loans.filter(borrower=owner)
    for loan in loans:
        due = timezone.localdate(loan.due_at)
        yield Reminder(
            f"loan_due:{loan.pk}:{due.isoformat()}",
            "loan_due",
            due,
            gettext("%(number)s 借阅到期,请归还") % {"number": loan.dossier.archive_number},
            reverse("circulation:loan", kwargs={"pk": loan.pk}),
            loan.borrower_id,
        )


def _follow_ups(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    from dangan.service.models import Contact

    if not policy.has_perm(actor, perms.SERVICE_VIEW):
        return
    contacts = policy.service_records_for(actor, Contact).filter(
        follow_up__range=(window.start, window.end)
    )
    if owner is not None:
        contacts = contacts.filter(created_by=owner)
    for contact in contacts.select_related("customer"):
        assert contact.follow_up is not None  # noqa: S101 - filtered on its range
        yield Reminder(
            f"follow_up:{contact.pk}:{contact.follow_up.isoformat()}",
            "follow_up",
            contact.follow_up,
            f"{contact.customer.name}:{contact.summary[:40]}",
            reverse("service:contacts") + f"?customer={contact.customer_id}",
            contact.created_by_id,
        )


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _key_customers(actor: User, window: Window, owner: User | None) -> Iterable[Reminder]:
    """Key customers with nothing logged since the quarter began: due on the day the
    window starts (a standing task until a contact is logged or it is marked done)."""
    from dangan.customers.models import Customer
    from dangan.service.models import Contact

    quarter = _quarter_start(window.start)
    contacted = Contact.objects.filter(date__gte=quarter).values("customer_id")
    key = _customers(actor, owner).filter(tier=Customer.Tier.KEY).exclude(pk__in=contacted)
    for customer in key.only("pk", "name", "owner_id")[:500]:
        yield Reminder(
            f"key_customer:{customer.pk}:{quarter.isoformat()}",
            "key_customer",
            window.start,
            gettext("%(name)s:本季度尚未更新联系记录") % {"name": customer.name},
            _customer_link(customer.pk),
            customer.owner_id,
        )


SOURCES: dict[str, Callable[[User, Window, User | None], Iterable[Reminder]]] = {
    "birthday": _birthdays,
    "dates": _dossier_dates,
    "handover_due": _handovers_due,
    "loan_due": _loans,
    "follow_up": _follow_ups,
    "key_customer": _key_customers,
}
SOURCE_OF = {
    "anniversary": "dates",
    "move_in": "dates",
    "contract_end": "dates",
}


def reminders_for(
    actor: User,
    *,
    start: datetime.date,
    days: int = 7,
    kind: str = "",
    owner: User | None = None,
    everyone: bool = False,
) -> list[Reminder]:
    """The reminders in [start, start + days] on the customers of `owner` (the actor when
    None; every customer in the actor's scope with `everyone`) that the actor may see,
    each marked done if the actor marked it."""
    if not policy.has_perm(actor, perms.CUSTOMER_VIEW):
        return []
    window = Window(start, start + datetime.timedelta(days=max(0, days)))
    whose = None if everyone else owner or actor
    wanted = [SOURCE_OF.get(kind, kind)] if kind else list(SOURCES)
    found = [
        reminder
        for name in wanted
        for reminder in SOURCES[name](actor, window, whose)
        if not kind or reminder.kind == kind
    ]
    done = dict(
        ReminderDone.objects.filter(user=actor, key__in=[r.key for r in found]).values_list(
            "key", "note"
        )
    )
    for reminder in found:
        if reminder.key in done:
            reminder.done, reminder.note = True, done[reminder.key]
    return sorted(found, key=lambda r: (r.done, r.date, r.kind, r.title))
