"""Periodic checks of the archive room (issue 25): labels (002 4.3.4), the room and the
material (003 第22–23条), the tidying record (002 7.3 《档案整理记录表》). A plan says what
is checked, where and how often; recording a check against it moves its next date on; a
plan past its date is on the archive room's home page and notified once a day.

Every change is a service taking the acting user, checked by the policy layer and
audited in the same transaction; bad input changes nothing and is on the record."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, NotFound
from dangan.locations import services as places
from dangan.locations.models import Location
from dangan.paper.models import CheckKind, CheckPlan, CheckRecord

MAX_TEXT = 2000


def plans_for(actor: User) -> QuerySet[CheckPlan]:
    policy.require(actor, perms.DOSSIER_LOCATE)
    return CheckPlan.objects.select_related("location")


def access_plan(actor: User, pk: Any) -> CheckPlan:
    """A plan, for the archive room; one answer for missing and forbidden."""
    text = str(pk).strip()
    found = CheckPlan.objects.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None or not policy.has_perm(actor, perms.DOSSIER_LOCATE):
        raise NotFound(_("检查计划不存在"))
    return found


def records_for(actor: User) -> QuerySet[CheckRecord]:
    policy.require(actor, perms.DOSSIER_LOCATE)
    return CheckRecord.objects.select_related("location", "checked_by", "plan")


def scope_text(location: Location | None) -> str:
    return places.path_text(location) if location is not None else _("全部库房")


def _kind(value: Any) -> str:
    text = str(value or "").strip()
    if text not in CheckKind.values:
        raise ApplicationError(_("请选择检查项目"), field="kind")
    return text


def _location(actor: User, value: Any) -> Location | None:
    if value in (None, ""):
        return None
    try:
        return places.access_location(actor, value)
    except NotFound:
        raise ApplicationError(_("存放位置不存在"), field="location") from None


def _every(value: Any) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 366:
        raise ApplicationError(_("周期须为 1–366 天"), field="every_days")
    return int(text)


def _day(value: Any, field: str, *, future: bool) -> datetime.date:
    if isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ApplicationError(_("日期格式不正确,例如 2026-12-07"), field=field) from None
    if not future and day > timezone.localdate():
        raise ApplicationError(_("检查日期不能晚于今天"), field=field)
    return day


def _text(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_TEXT:
        raise ApplicationError(_("最多 %(n)s 个字") % {"n": MAX_TEXT}, field=field)
    return text


def _plan_out(plan: CheckPlan) -> dict[str, Any]:
    return {
        "kind": plan.kind,
        "location": plan.location_id,
        "every_days": plan.every_days,
        "next_due": plan.next_due.isoformat(),
        "active": plan.active,
        "note": plan.note,
    }


@refusals_audited("check_plan_create", "kind")
@transaction.atomic
def plan_create(
    *,
    actor: User,
    kind: Any,
    every_days: Any,
    location: Any = None,
    next_due: Any = None,
    note: str = "",
) -> CheckPlan:
    policy.require(actor, perms.DOSSIER_LOCATE)
    plan = CheckPlan.objects.create(
        kind=_kind(kind),
        location=_location(actor, location),
        every_days=_every(every_days),
        next_due=_day(next_due, "next_due", future=True) if next_due else timezone.localdate(),
        note=_text(note, "note")[:200],
    )
    audit_record(actor=actor, action="check_plan_create", obj=plan, detail=_plan_out(plan))
    return plan


@refusals_audited("check_plan_update", "plan")
@transaction.atomic
def plan_update(*, actor: User, plan: CheckPlan, changes: dict[str, Any]) -> CheckPlan:
    """Change a plan's period, next date, place, note or switch it off; unknown fields are
    a field-named error, not ignored."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    plan = CheckPlan.objects.select_for_update().get(pk=plan.pk)
    unknown = set(changes) - {"kind", "location", "every_days", "next_due", "active", "note"}
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError(_("不能修改的字段"), field=name)
    before = _plan_out(plan)
    if "kind" in changes:
        plan.kind = _kind(changes["kind"])
    if "location" in changes:
        plan.location = _location(actor, changes["location"])
    if "every_days" in changes:
        plan.every_days = _every(changes["every_days"])
    if "next_due" in changes:
        plan.next_due = _day(changes["next_due"], "next_due", future=True)
    if "active" in changes:
        plan.active = bool(changes["active"])
    if "note" in changes:
        plan.note = _text(changes["note"], "note")[:200]
    plan.save()
    after = _plan_out(plan)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit_record(actor=actor, action="check_plan_update", obj=plan, detail=changed)
    return plan


@refusals_audited("check_record", "plan")
@transaction.atomic
def check_record(
    *,
    actor: User,
    plan: Any = None,
    kind: Any = None,
    location: Any = None,
    checked_on: Any = None,
    outcome: Any = "ok",
    findings: str = "",
    actions: str = "",
) -> CheckRecord:
    """Record a check done, against a plan (its kind and place; the plan's next date moves
    to the check's date plus the period) or on its own (a kind, optionally a place: the
    checks 003 第23条 asks for after a doubt or an incident). Problems found need saying."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    found_plan = None
    if plan not in (None, ""):
        found_plan = access_plan(actor, plan.pk if isinstance(plan, CheckPlan) else plan)
        found_plan = CheckPlan.objects.select_for_update().get(pk=found_plan.pk)
        kind, place = found_plan.kind, found_plan.location
    else:
        kind, place = _kind(kind), _location(actor, location)
    day = _day(checked_on or timezone.localdate(), "checked_on", future=False)
    if outcome not in CheckRecord.Outcome.values:
        raise ApplicationError(_("请选择检查结果"), field="outcome")
    findings, actions = _text(findings, "findings"), _text(actions, "actions")
    if outcome == CheckRecord.Outcome.PROBLEMS and not findings:
        raise ApplicationError(_("发现问题时请写明问题"), field="findings")
    record = CheckRecord.objects.create(
        plan=found_plan,
        kind=kind,
        location=place,
        checked_on=day,
        outcome=outcome,
        findings=findings,
        actions=actions,
        checked_by=actor,
    )
    if found_plan is not None:
        following = day + datetime.timedelta(days=found_plan.every_days)
        if following > found_plan.next_due:
            found_plan.next_due = following
            found_plan.save(update_fields=["next_due", "updated_at"])
    audit_record(
        actor=actor,
        action="check_record",
        obj=record,
        detail={
            "plan": found_plan.pk if found_plan else None,
            "kind": kind,
            "location": place.pk if place else None,
            "checked_on": day.isoformat(),
            "outcome": outcome,
        },
    )
    return record


def checks_due(*, today: datetime.date | None = None) -> QuerySet[CheckPlan]:
    """Active plans due today or earlier, the longest overdue first."""
    today = today or timezone.localdate()
    return (
        CheckPlan.objects.filter(active=True, next_due__lte=today)
        .select_related("location")
        .order_by("next_due", "id")
    )


def checks_notify(*, today: datetime.date | None = None) -> int:
    """Tell the archive room's people of the checks due, once a day each (the worker runs
    it with the other daily reminders)."""
    from dangan.circulation.services import notify

    today = today or timezone.localdate()
    due = list(checks_due(today=today))
    if not due:
        return 0
    sent = 0
    for user in User.objects.filter(is_active=True, roles__permissions__isnull=False).distinct():
        if not policy.has_perm(user, perms.DOSSIER_LOCATE):
            continue
        made = notify(
            user=user,
            text=_("有 %(n)s 项定期检查到期:%(what)s")
            % {
                "n": len(due),
                "what": "、".join(
                    f"{plan.get_kind_display()}({scope_text(plan.location)})" for plan in due[:3]
                ),
            },
            link=reverse("paper:checks"),
            key=f"checks-due:{user.pk}:{today.isoformat()}",
        )
        sent += made is not None
    return sent


def record_out(record: CheckRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "plan": record.plan_id,
        "kind": record.kind,
        "kind_label": record.get_kind_display(),
        "location": record.location_id,
        "scope": scope_text(record.location),
        "checked_on": record.checked_on.isoformat(),
        "outcome": record.outcome,
        "findings": record.findings,
        "actions": record.actions,
        "checked_by": record.checked_by.username,
    }


def plan_out(plan: CheckPlan, *, today: datetime.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    return {
        "id": plan.pk,
        **_plan_out(plan),
        "kind_label": plan.get_kind_display(),
        "scope": scope_text(plan.location),
        "due": plan.active and plan.next_due <= today,
        "overdue_days": max(0, (today - plan.next_due).days) if plan.active else 0,
    }
