"""Periodic checks (issue 25): plans that fall due, checks recorded against them or on
their own, the home page and the daily notice, the page and the API; bad input changes
nothing and is on the record."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from dangan.audit.models import AuditEntry
from dangan.circulation.models import Notification
from dangan.core.errors import ApplicationError, NotFound
from dangan.home.work import work_for
from dangan.locations import services as places
from dangan.paper import checks
from dangan.paper.models import CheckPlan, CheckRecord

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_instance_starts_with_the_seeds_checks_due(alice: Any) -> None:
    kinds = dict(CheckPlan.objects.values_list("kind", "every_days"))
    assert kinds == {"labels": 90, "environment": 30, "condition": 90, "tidy": 30}


def test_a_check_moves_its_plan_on_and_the_home_page_follows(alice: Any, bob: Any) -> None:
    labels = CheckPlan.objects.get(kind="labels")
    CheckPlan.objects.exclude(pk=labels.pk).update(active=False)
    CheckPlan.objects.filter(pk=labels.pk).update(next_due=TODAY() - datetime.timedelta(days=3))
    (work,) = [w for w in work_for(alice) if w.kind == "checks_due"]
    assert work.count == 1 and work.urgent and "标签核对" in work.items[0].title
    assert "checks_due" not in {w.kind for w in work_for(bob)}

    yesterday = TODAY() - datetime.timedelta(days=1)
    record = checks.check_record(
        actor=alice,
        plan=labels.pk,
        checked_on=yesterday,
        outcome="problems",
        findings="03柜 2层 标签脱落 3 处",
        actions="已补打标签",
    )
    labels.refresh_from_db()
    assert record.kind == "labels" and labels.next_due == yesterday + datetime.timedelta(days=90)
    assert [w.count for w in work_for(alice) if w.kind == "checks_due"] == [0]
    entry = AuditEntry.objects.get(action="check_record", outcome="success")
    assert entry.detail["plan"] == labels.pk and entry.detail["outcome"] == "problems"


def test_bad_checks_change_nothing(alice: Any, bob: Any) -> None:
    plan = CheckPlan.objects.get(kind="environment")
    due = plan.next_due
    tomorrow = TODAY() + datetime.timedelta(days=1)
    for kwargs, field in [
        ({"plan": plan.pk, "checked_on": tomorrow}, "checked_on"),
        ({"plan": plan.pk, "outcome": "problems"}, "findings"),
        ({"plan": plan.pk, "outcome": "maybe"}, "outcome"),
        ({"kind": "windows"}, "kind"),
        ({"kind": "labels", "location": 99999}, "location"),
    ]:
        with pytest.raises(ApplicationError) as caught:
            checks.check_record(actor=alice, **kwargs)
        assert caught.value.field == field, kwargs
    with pytest.raises(NotFound):
        checks.check_record(actor=alice, plan=99999)
    with pytest.raises(ApplicationError):
        checks.check_record(actor=bob, plan=plan.pk)
    plan.refresh_from_db()
    assert plan.next_due == due and not CheckRecord.objects.exists()
    assert AuditEntry.objects.filter(action="check_record", outcome="failed").count() >= 5


def test_archive_room_is_told_once_a_day(alice: Any, bob: Any) -> None:
    assert checks.checks_notify() == 1  # alice; bob is no archive room
    assert checks.checks_notify() == 0
    (notice,) = Notification.objects.filter(user=alice, key__startswith="checks-due:")
    assert "4 项定期检查到期" in notice.text
    CheckPlan.objects.update(next_due=TODAY() + datetime.timedelta(days=5))
    tomorrow = TODAY() + datetime.timedelta(days=1)
    assert checks.checks_notify(today=tomorrow) == 0


def test_the_daily_task_sends_every_daily_notice(alice: Any) -> None:
    from dangan.home.tasks import remind_daily

    assert remind_daily.call() >= 1
    assert Notification.objects.filter(user=alice, key__startswith="checks-due:").exists()


def test_plans_and_checks_through_the_api(alice: Any, bob: Any) -> None:
    client = api(alice)
    room = places.location_create(actor=alice, kind="room", name="档案室A")
    made = client.post(
        "/api/v1/check-plans/",
        {"kind": "labels", "location": room.pk, "every_days": 30, "note": "A室标签"},
        format="json",
    )
    assert made.status_code == 201, made.content
    plan = made.json()
    assert plan["scope"] == "档案室A" and plan["due"] is True
    bad = client.post("/api/v1/check-plans/", {"kind": "labels", "every_days": 0}, format="json")
    assert bad.status_code == 400 and "every_days" in bad.json()
    unknown = client.patch(f"/api/v1/check-plans/{plan['id']}/", {"colour": 1}, format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()
    later = (TODAY() + datetime.timedelta(days=10)).isoformat()
    changed = client.patch(f"/api/v1/check-plans/{plan['id']}/", {"next_due": later}, format="json")
    assert changed.status_code == 200 and changed.json()["due"] is False

    done = client.post(
        "/api/v1/checks/", {"kind": "condition", "outcome": "ok", "actions": ""}, format="json"
    )
    assert done.status_code == 201, done.content
    assert done.json()["scope"] == "全部库房" and done.json()["plan"] is None
    missing = client.post("/api/v1/checks/", {"plan": plan["id"], "outcome": "problems"})
    assert missing.status_code == 400 and "findings" in missing.json()
    listed = client.get("/api/v1/checks/").json()["results"]
    assert [r["kind"] for r in listed] == ["condition"]
    assert api(bob).get("/api/v1/checks/").status_code == 403
    assert api(bob).get(f"/api/v1/check-plans/{plan['id']}/").status_code == 404


def test_the_page_records_a_check_and_edits_a_plan(alice: Any) -> None:
    page = Client()
    page.force_login(alice)
    shown = page.get("/inventory/checks/").content.decode()
    assert "标签核对" in shown and "今天到期" in shown
    plan = CheckPlan.objects.get(kind="tidy")
    answer = page.post(
        "/inventory/checks/record/",
        {
            "plan": plan.pk,
            "checked_on": TODAY().isoformat(),
            "outcome": "ok",
            "actions": "整理完毕",
        },
        follow=True,
    )
    assert "检查已记录" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.next_due == TODAY() + datetime.timedelta(days=30)
    refused = page.post(
        "/inventory/checks/record/", {"plan": plan.pk, "outcome": "problems"}, follow=True
    )
    assert "发现问题时请写明问题" in refused.content.decode()
    page.post(
        f"/inventory/checks/plans/{plan.pk}/",
        {"every_days": "14", "next_due": plan.next_due.isoformat(), "note": "每两周"},
    )
    plan.refresh_from_db()
    assert plan.every_days == 14 and plan.note == "每两周" and plan.active is False
    assert AuditEntry.objects.filter(action="check_plan_update").exists()
