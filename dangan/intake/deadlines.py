"""Submission deadlines (移交期限) computed from an archive type's `deadline` rule and a
dossier's business dates. A rule naming a date the dossier lacks gives "date_missing":
the dossier is flagged, never crashed.

Rule kinds (JSON on ArchiveType.deadline):
  working_days_after {field, days}   days_after {field, days}   hours_after {field, hours}
  weekly {weekday: 1–7 (ISO, 5 = Friday), field?}   monthly {day, field?}
  conditional {if: {field: value}, then: rule, else: rule}
"""

from __future__ import annotations

import calendar as month_calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.archives.checklist import (
    Checklist,
    condition_holds,
    dossier_checklist,
    prime_checklists,
)
from dangan.archives.fields import parse_date
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError
from dangan.documents.models import Document
from dangan.intake.calendar import Calendar
from dangan.rules.schema import DeadlineRule, parse_deadline, parse_fields

ON_TIME = "on_time"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
DATE_MISSING = "date_missing"
NOT_APPLICABLE = "not_applicable"
RULE_INVALID = "rule_invalid"

STATE_LABELS = {
    ON_TIME: gettext_lazy("按期"),
    DUE_SOON: gettext_lazy("即将到期"),
    OVERDUE: gettext_lazy("已超期"),
    DATE_MISSING: gettext_lazy("缺少业务日期"),
    NOT_APPLICABLE: gettext_lazy("无期限要求"),
    RULE_INVALID: gettext_lazy("期限规则无效"),
}
# "Due soon": this many working days or fewer remain.
DUE_SOON_WORKING_DAYS = 1

Due = datetime.date | datetime.datetime


@dataclass(frozen=True)
class DeadlineResult:
    due: Due | None
    state: str
    note: str = ""
    submitted: datetime.date | None = None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def due_date(self) -> datetime.date | None:
        if isinstance(self.due, datetime.datetime):
            return timezone.localtime(self.due).date()
        return self.due


class MissingDate(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _label(dossier: Dossier, key: str) -> str:
    for spec in dossier.archive_type.field_schema():
        if spec.get("key") == key:
            return str(spec.get("label") or key)
    return key


def _date_of(dossier: Dossier, rule: DeadlineRule) -> datetime.date:
    key = rule.field
    raw = (dossier.fields or {}).get(key) if key else None
    if not key:
        return timezone.localtime(dossier.created_at).date()
    if raw in (None, ""):
        raise MissingDate(key)
    try:
        return parse_date(str(raw)[:10])
    except ValueError:
        raise MissingDate(key) from None


def _moment_of(dossier: Dossier, rule: DeadlineRule) -> datetime.datetime | datetime.date:
    """The value of the rule's field: a moment where a time of day was stored, else the
    date alone (a date is not its midnight: nobody signs at 00:00)."""
    key = rule.field
    raw = (dossier.fields or {}).get(key)
    if raw in (None, ""):
        raise MissingDate(key)
    text = str(raw).strip()
    if len(text) <= 10:
        return _date_of(dossier, rule)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return _date_of(dossier, rule)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def hours_due(start: datetime.datetime | datetime.date, hours: int) -> Due:
    """ "Within N hours" of a moment ends N hours later. Of a date without a time, it ends
    with the day on which N hours after the latest possible moment of that date fall:
    "24 hours after signing on 10 Oct" runs to the end of 11 Oct, so a hand-over the next
    morning is on time whenever the contract was signed."""
    if isinstance(start, datetime.datetime):
        return start + datetime.timedelta(hours=hours)
    return start + datetime.timedelta(days=-(-hours // 24))


def _holds(condition: Mapping[str, Any], dossier: Dossier) -> bool:
    """`{plated_by_dealer: true}` names a custom field; dotted paths go to condition_holds."""
    dotted = {k if "." in k else f"fields.{k}": v for k, v in condition.items()}
    return condition_holds(dotted, dossier)


def rule_due(rule: DeadlineRule | None, dossier: Dossier, cal: Calendar) -> tuple[Due | None, str]:
    """(due, description) for one rule; raises MissingDate. (None, "") for no rule."""
    if rule is None:
        return None, ""
    kind = rule.kind
    if kind == "conditional":
        branch = rule.then if _holds(rule.condition, dossier) else rule.otherwise
        return rule_due(branch, dossier, cal)
    if kind == "working_days_after":
        start = _date_of(dossier, rule)
        text = _("%(f)s后%(n)s个工作日内") % {"f": _label(dossier, rule.field), "n": rule.days}
        return cal.add_working_days(start, rule.days), text
    if kind == "days_after":
        start = _date_of(dossier, rule)
        text = _("%(f)s+%(n)s日") % {"f": _label(dossier, rule.field), "n": rule.days}
        return start + datetime.timedelta(days=rule.days), text
    if kind == "hours_after":
        hours = rule.hours
        moment = _moment_of(dossier, rule)
        text = _("%(f)s后%(n)s小时内") % {"f": _label(dossier, rule.field), "n": hours}
        if not isinstance(moment, datetime.datetime):
            text += _("(只有日期:计至当日后第%(d)s日24时)") % {"d": -(-hours // 24)}
        return hours_due(moment, hours), text
    if kind == "weekly":
        start = _date_of(dossier, rule)
        ahead = (rule.weekday - start.isoweekday()) % 7
        names = "一二三四五六日"
        return start + datetime.timedelta(days=ahead), _("每周%(d)s") % {
            "d": names[rule.weekday - 1]
        }
    if kind == "monthly":
        start = _date_of(dossier, rule)
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        last = month_calendar.monthrange(year, month)[1]
        due = datetime.date(year, month, min(rule.day, last))
        return due, _("次月%(d)s日前") % {"d": rule.day}
    # The schema knows no other kind; one it let through would be a bug, not "no deadline".
    raise ValueError(kind)


def handed_over_on(dossier: Dossier) -> datetime.date | None:
    """The day the bag was first handed over and accepted (receiver's signature); read
    from what prime() stored when the dossier came in a list."""
    primed: Any = getattr(dossier, "_handed_over_on", _UNREAD)
    if primed is not _UNREAD:
        found: datetime.date | None = primed
        return found
    return _handed_over_days([dossier.pk]).get(dossier.pk)


_UNREAD = object()


def _handed_over_days(dossier_ids: list[int]) -> dict[int, datetime.date]:
    from django.db.models import Min

    from dangan.handover.models import HandoverItem

    signed = (
        HandoverItem.objects.filter(
            dossier_id__in=dossier_ids,
            status=HandoverItem.Status.ACCEPTED,
            handover__receiver_signed_at__isnull=False,
        )
        .order_by()
        .values("dossier_id")
        .annotate(first=Min("handover__receiver_signed_at"))
    )
    return {row["dossier_id"]: timezone.localtime(row["first"]).date() for row in signed}


def prime(dossiers: list[Dossier]) -> list[Dossier]:
    """Ready a list of dossiers for dossier_deadline() without a query per dossier: their
    checklists (prime_checklists) and their hand-over days, a few queries for the list."""
    prime_checklists(dossiers)
    days: dict[int, datetime.date] = {}
    ids = [d.pk for d in dossiers]
    for start in range(0, len(ids), 500):
        days.update(_handed_over_days(ids[start : start + 500]))
    for dossier in dossiers:
        dossier._handed_over_on = days.get(dossier.pk)  # type: ignore[attr-defined]
    return dossiers


def submitted_on(checklist: Checklist, dossier: Dossier | None = None) -> datetime.date | None:
    """When the bag was submitted: the day a signed hand-over accepted it; without one,
    the filing date of its last required document. None while something required is
    missing and no hand-over accepted it."""
    handed = handed_over_on(dossier) if dossier is not None else None
    if handed is not None:
        return handed
    if not checklist.handed_in:
        return None
    dates = [
        timezone.localtime(doc.created_at).date()
        for row in checklist.rows
        if row.required
        for doc in row.documents
        if doc.state == Document.State.VALID
    ]
    return max(dates) if dates else None


def dossier_deadline(
    dossier: Dossier,
    *,
    checklist: Checklist | None = None,
    cal: Calendar | None = None,
    today: datetime.date | None = None,
) -> DeadlineResult:
    try:
        rule = parse_deadline(
            dossier.archive_type.deadline, parse_fields(dossier.archive_type.fields)
        )
    except ApplicationError as exc:
        # A stored rule the schema refuses (written around the editor) is shown as such,
        # never taken for "no deadline".
        return DeadlineResult(None, RULE_INVALID, str(exc.message))
    if rule is None:
        return DeadlineResult(None, NOT_APPLICABLE, "")
    cal = cal or Calendar()
    try:
        due, text = rule_due(rule, dossier, cal)
    except MissingDate as exc:
        note = _("缺少业务日期:%(f)s") % {"f": _label(dossier, exc.field)}
        return DeadlineResult(None, DATE_MISSING, note)
    if due is None:
        return DeadlineResult(None, NOT_APPLICABLE, "")
    checklist = checklist if checklist is not None else dossier_checklist(dossier)
    submitted = submitted_on(checklist, dossier)
    today = today or timezone.localdate()
    due_day = timezone.localtime(due).date() if isinstance(due, datetime.datetime) else due
    if submitted is not None:
        state = ON_TIME if submitted <= due_day else OVERDUE
    elif today > due_day:
        state = OVERDUE
    elif cal.working_days_between(today, due_day) <= DUE_SOON_WORKING_DAYS:
        state = DUE_SOON
    else:
        state = ON_TIME
    return DeadlineResult(due, state, text, submitted)
