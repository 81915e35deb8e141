from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import _user, audit_actions
from dangan.circulation.models import Notification
from dangan.core.errors import InvalidTransition, NotFound
from dangan.customers.services import customer_create
from dangan.home import services
from dangan.home.reminders import reminders_for
from dangan.home.work import work_for
from dangan.service import services as service

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kinds(user: Any) -> dict[str, int]:
    return {w.kind: w.count for w in work_for(user)}


@pytest.fixture
def cs(db: Any) -> Any:
    return _user("chen", "customer_service", "客服部", "陈晓")


def birthday_customer(owner: Any, name: str = "李四", days: int = 0) -> Any:
    """An individual whose birthday is `days` from today (born 1980)."""
    day = TODAY() + datetime.timedelta(days=days)
    if (day.month, day.day) == (2, 29):
        day -= datetime.timedelta(days=1)
    return customer_create(
        actor=owner, kind="individual", name=name, birth_date=day.replace(year=1980)
    )


class TestWork:
    def test_each_role_sees_only_its_kinds_of_work(
        self, alice: Any, bob: Any, carol: Any, sam: Any, ada: Any
    ) -> None:
        assert "loans_to_hand_out" in kinds(alice)
        assert "loans_to_hand_out" not in kinds(bob)
        assert "findings_to_fix" in kinds(bob)
        assert "denied_access" in kinds(ada) and "findings_to_fix" not in kinds(ada)
        assert "intake_overdue" not in kinds(sam)

    def test_tickets_count_only_what_the_viewer_may_see(
        self, cs: Any, bob: Any, dave: Any, bobs_customer: Any
    ) -> None:
        ticket = service.ticket_create(
            actor=cs,
            customer_id=bobs_customer.pk,
            category="repair",
            description="漏水",
            handler=bob,
        )
        assert kinds(bob)["tickets_to_handle"] == 1
        assert kinds(dave)["tickets_to_handle"] == 0
        assert ticket.number in str(work_for(bob))

    def test_a_bag_past_its_deadline_shows_to_its_owner_only(
        self, templates: Any, bob: Any, dave: Any, bobs_customer: Any
    ) -> None:
        from conftest import car_fields
        from dangan.archives.services import dossier_create

        picked_up = (TODAY() - datetime.timedelta(days=20)).isoformat()
        dossier = dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(
                plated_by_dealer=False, delivery_date=picked_up, purchase_date=picked_up
            ),
        )
        assert kinds(bob)["intake_overdue"] == 1
        assert dossier.archive_number in str(work_for(bob))
        assert kinds(dave)["intake_overdue"] == 0

    def test_deadlines_cost_the_same_queries_for_one_bag_or_many(
        self, templates: Any, alice: Any, bob: Any
    ) -> None:
        """The bags' deadlines are read for the whole list at once (#29: the home page
        and the navigation's badge read each bag's documents and hand-overs apart)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from conftest import another_car
        from dangan.archives.services import dossier_create
        from dangan.intake.selectors import overdue_by_person

        picked_up = (TODAY() - datetime.timedelta(days=20)).isoformat()

        def bag(name: str) -> None:
            customer = customer_create(actor=bob, kind="individual", name=name)
            dossier_create(
                actor=bob,
                customer=customer,
                archive_type=templates["CAR-SALE"],
                fields=another_car(
                    ord(name),
                    plated_by_dealer=False,
                    delivery_date=picked_up,
                    purchase_date=picked_up,
                ),
            )

        def statements() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as home:
                work_for(alice)
            with CaptureQueriesContext(connection) as overdue:
                overdue_by_person(alice)
            return len(home), len(overdue)

        bag("甲")
        one = statements()
        for name in "乙丙丁戊":
            bag(name)
        assert kinds(alice)["intake_overdue"] == 5
        many = statements()
        assert many[0] <= one[0] and many[1] <= one[1], (one, many)  # not 3 more per bag

    def test_a_notice_to_acknowledge_appears_and_goes(self, carol: Any, bob: Any) -> None:
        notice = service.notice_send(
            actor=carol, direction="down", title="检查", body="周五", recipients=[bob]
        )
        assert kinds(bob)["notices_to_acknowledge"] == 1
        service.notice_acknowledge(actor=bob, notice_id=notice.pk)
        assert kinds(bob)["notices_to_acknowledge"] == 0

    def test_backups_state_for_the_system_administrator(self, sam: Any, alice: Any) -> None:
        from dangan.backups.models import BackupRun

        def backups() -> Any:
            return next(w for w in work_for(sam) if w.kind == "backups")

        assert "backups" not in kinds(alice)
        never = backups()
        assert never.count == 1 and never.urgent and "还没有成功的备份" in never.items[0].note
        now = timezone.now()
        BackupRun.objects.create(trigger="schedule", state="succeeded", finished_at=now)
        assert backups().count == 0 and not backups().urgent
        BackupRun.objects.create(trigger="schedule", state="failed", error="磁盘已满")
        failed = backups()
        assert failed.count == 1 and failed.urgent and failed.items[0].note == "磁盘已满"
        BackupRun.objects.update(finished_at=now - datetime.timedelta(days=9))
        assert backups().count == 2  # the failure, and the good one is too old

    def test_open_inventory_discrepancies_for_the_archive_room(
        self, alice: Any, bob: Any, car_dossier: Any
    ) -> None:
        from dangan.paper.models import Discrepancy, InventoryRound

        found = InventoryRound.objects.create(scope_text="03柜", started_by=alice, status="closed")
        Discrepancy.objects.create(
            round=found, kind="missing", dossier=car_dossier, text=car_dossier.archive_number
        )
        Discrepancy.objects.create(round=found, kind="unknown", text="XX-1")
        Discrepancy.objects.create(round=found, kind="unknown", text="XX-2", status="resolved")
        assert kinds(alice)["inventory_discrepancies"] == 2
        assert "inventory_discrepancies" not in kinds(bob)
        (work,) = [w for w in work_for(alice) if w.kind == "inventory_discrepancies"]
        assert work.items[0].link.endswith(f"/{found.pk}/#tasks")


class TestReminders:
    def test_a_birthday_in_the_window_reminds_its_owner_only(self, bob: Any, dave: Any) -> None:
        customer = birthday_customer(bob, days=3)
        found = reminders_for(bob, start=TODAY(), days=7, kind="birthday")
        assert [r.title for r in found] == [f"{customer.name} {found[0].date.year - 1980} 岁生日"]
        assert reminders_for(bob, start=TODAY(), days=2, kind="birthday") == []
        assert reminders_for(dave, start=TODAY(), days=7, kind="birthday", everyone=True) == []

    def test_an_anniversary_of_the_purchase_date(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        from conftest import car_fields
        from dangan.archives.services import dossier_create

        bought = (TODAY() + datetime.timedelta(days=2)).replace(year=TODAY().year - 1)
        dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(purchase_date=bought.isoformat(), delivery_date=bought.isoformat()),
        )
        found = reminders_for(bob, start=TODAY(), days=7, kind="anniversary")
        assert {r.key.split(":")[2] for r in found} == {"purchase_date", "delivery_date"}
        assert all("1 周年" in r.title for r in found)

    def test_the_type_declares_which_dates_remind(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        """A date field reminds only when its archive type says so: take the declaration off
        the purchase date and only the delivery date's anniversary is left; declare the
        licence date a contract end and it reminds on the day."""
        from conftest import car_fields
        from dangan.archives.services import dossier_create

        car = templates["CAR-SALE"]
        bought = (TODAY() + datetime.timedelta(days=2)).replace(year=TODAY().year - 1)
        soon = (TODAY() + datetime.timedelta(days=1)).isoformat()
        fields = car.fields
        for spec in fields:
            if spec["key"] == "purchase_date":
                spec.pop("remind")
            if spec["key"] == "license_date":
                spec["remind"] = "contract_end"
        car.fields = fields
        car.save(update_fields=["fields"])
        dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=car,
            fields=car_fields(
                purchase_date=bought.isoformat(),
                delivery_date=bought.isoformat(),
                license_date=soon,
            ),
        )
        found = reminders_for(bob, start=TODAY(), days=7)
        dated = {(r.kind, r.key.split(":")[2]) for r in found if r.kind != "handover_due"}
        assert dated == {("anniversary", "delivery_date"), ("contract_end", "license_date")}

    def test_types_loaded_before_declarations_get_them(self, templates: Any) -> None:
        import importlib

        from django.apps import apps

        migration = importlib.import_module("dangan.home.migrations.0002_declared_reminder_dates")
        sale = templates["RE-SALE"]
        sale.fields = [{k: v for k, v in s.items() if k != "remind"} for s in sale.fields]
        sale.save(update_fields=["fields"])
        migration.declare(apps, None)
        sale.refresh_from_db()
        marks = {s["key"]: s["remind"] for s in sale.fields if "remind" in s}
        assert marks == {"contract_date": "anniversary", "move_in_date": "move_in"}

    def test_a_template_may_declare_reminders_only_on_date_fields(self) -> None:
        import copy

        import yaml

        from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

        data = yaml.safe_load((SEED_DIR / "03_car_sales.yaml").read_text(encoding="utf-8"))
        assert {s["key"]: s.get("remind") for s in data["fields"]}["purchase_date"] == (
            "anniversary"
        )
        for bad in ({"remind": "birthday"}, {"type": "text", "remind": "anniversary"}):
            broken = copy.deepcopy(data)
            spec = next(s for s in broken["fields"] if s["key"] == "purchase_date")
            spec.update(bad)
            with pytest.raises(TemplateError, match="“purchase_date”的提醒"):
                validate_template(broken, "car")

    def test_marking_done_keeps_a_note_and_is_audited(self, bob: Any, dave: Any) -> None:
        birthday_customer(bob)
        (today,) = reminders_for(bob, start=TODAY(), days=0, kind="birthday")
        with pytest.raises(NotFound):
            services.reminder_done(actor=dave, key=today.key)
        services.reminder_done(actor=bob, key=today.key, note="已致电祝贺")
        (again,) = reminders_for(bob, start=TODAY(), days=0, kind="birthday")
        assert again.done and again.note == "已致电祝贺"
        with pytest.raises(InvalidTransition):
            services.reminder_done(actor=bob, key=today.key)
        assert "reminder_done" in audit_actions(object_type="reminder")

    def test_owners_are_told_of_todays_reminders_once(self, bob: Any) -> None:
        birthday_customer(bob)
        assert services.reminders_notify() == 1
        assert services.reminders_notify() == 0
        assert Notification.objects.filter(user=bob, text__contains="生日").exists()

    def test_a_key_customer_without_a_contact_this_quarter(self, bob: Any) -> None:
        customer = customer_create(actor=bob, kind="organization", name="重点公司", tier="key")
        assert [r.kind for r in reminders_for(bob, start=TODAY(), days=0, kind="key_customer")] == [
            "key_customer"
        ]
        service.contact_create(
            actor=bob, customer_id=customer.pk, kind="visit", date=TODAY(), summary="季度拜访"
        )
        assert reminders_for(bob, start=TODAY(), days=0, kind="key_customer") == []


class TestApi:
    def test_home_answers_an_object_also_when_there_is_nothing(self, ada: Any) -> None:
        body = client_for(ada).get("/api/v1/home/").json()
        assert body["total"] == 0 and isinstance(body["work"], list)
        assert body["date"] == TODAY().isoformat()

    def test_reminders_and_done_through_the_api(self, bob: Any) -> None:
        birthday_customer(bob, days=1)
        api = client_for(bob)
        listed = api.get("/api/v1/reminders/?kind=birthday").json()
        assert listed["count"] == 1
        key = listed["results"][0]["id"]
        done = api.post(
            f"/api/v1/reminders/{key}/done/", {"note": "寄贺卡"}, content_type="application/json"
        )
        assert done.status_code == 200 and done.json()["note"] == "寄贺卡"
        assert api.get("/api/v1/reminders/?kind=nonsense").status_code == 400
        assert api.get("/api/v1/reminders/?days=400").status_code == 400
        assert api.post("/api/v1/reminders/birthday:999999:2026-01-01/done/", {}).status_code == 404

    def test_dashboard_counts_within_the_scope(
        self, bob: Any, dave: Any, alice: Any, car_dossier: Any
    ) -> None:
        def count(user: Any, key: str) -> float:
            body = client_for(user).get("/api/v1/dashboard/").json()
            chart = next(c for c in body["charts"] if c["key"] == key)
            return sum(row["value"] for row in chart["rows"])

        assert count(bob, "dossiers_by_type") == 1
        assert count(alice, "dossiers_by_type") == 1
        assert count(dave, "dossiers_by_type") == 0
        bad = client_for(bob).get("/api/v1/dashboard/?from=2026-13")
        assert bad.status_code == 400 and "from" in bad.json()


class TestPages:
    def test_the_home_page_links_each_item(self, cs: Any, bob: Any, bobs_customer: Any) -> None:
        service.ticket_create(
            actor=cs,
            customer_id=bobs_customer.pk,
            category="repair",
            description="门禁坏了",
            handler=bob,
        )
        page = client_for(bob).get("/").content.decode()
        assert "待处理的工单" in page and "门禁坏了" in page
        assert 'id="nav-home"' in page

    def test_the_dashboard_renders_svg_and_exports(self, carol: Any, car_dossier: Any) -> None:
        web = client_for(carol)
        page = web.get("/home/dashboard/").content.decode()
        assert "<svg" in page and "档案:按类型" in page
        book = web.get("/home/dashboard.xlsx")
        assert book.status_code == 200 and book.content[:2] == b"PK"
        assert "export" in audit_actions(object_type="dashboard")

    def test_reminders_page_marks_done(self, bob: Any) -> None:
        birthday_customer(bob)
        web = client_for(bob)
        (reminder,) = reminders_for(bob, start=TODAY(), days=0)
        done = web.post(
            "/home/reminders/done/",
            {"key": reminder.key, "note": "已祝贺", "next": "https://evil.example/"},
        )
        assert done["Location"] == "/home/reminders/"
        assert "已祝贺" in web.get("/home/reminders/").content.decode()
