"""The seed scenarios of issue 4 §2–4 through the services and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import _user, another_car, audit_actions, car_fields
from dangan.archives.services import dossier_create
from dangan.documents.models import Document
from dangan.documents.services import document_add
from dangan.intake import deadlines, services
from dangan.intake.calendar import Calendar
from dangan.intake.models import Finding, Holiday
from dangan.intake.penalties import penalty_statement, violations

pytestmark = pytest.mark.django_db
D = datetime.date


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _file_all(dossier: Any, actor: Any, on: datetime.date | None = None) -> dict[str, Document]:
    """File every applicable required item (on `on`, when given)."""
    from dangan.archives.checklist import dossier_checklist

    docs = {}
    for row in dossier_checklist(dossier).rows:
        if row.required:
            docs[row.item.code] = document_add(
                actor=actor, dossier=dossier, checklist_item=row.item, title=row.item.name
            )
    if on is not None:
        Document.objects.filter(dossier=dossier).update(created_at=_at(on))
    return docs


@pytest.fixture
def calendar_2026(alice: Any) -> None:
    services.calendar_load(actor=alice, year=2026)


# --- working days and deadlines ------------------------------------------------------


def test_it_counts_working_days_across_a_holiday_and_a_workday_saturday(calendar_2026: Any) -> None:
    cal = Calendar()
    assert not cal.is_working_day(D(2026, 10, 1))  # 国庆
    assert cal.is_working_day(D(2026, 10, 10))  # 调休 Saturday
    # Delivered 30 Sep: 1–7 Oct off, 8 Oct (Thu) is the first working day, 10 Oct the third.
    assert cal.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert cal.add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert cal.add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 12)


def test_it_takes_license_date_plus_one_for_dealer_plated_cars(car_dossier: Any) -> None:
    car_dossier.fields = car_fields(license_date="2026-10-12")
    result = deadlines.dossier_deadline(car_dossier, today=D(2026, 10, 11))
    assert result.due == D(2026, 10, 13)
    assert result.state == deadlines.DUE_SOON or result.state == deadlines.ON_TIME


def test_it_takes_pickup_plus_seven_otherwise(car_dossier: Any) -> None:
    car_dossier.fields = car_fields(plated_by_dealer=False)
    result = deadlines.dossier_deadline(car_dossier, today=D(2026, 10, 20))
    assert result.due == D(2026, 10, 17)
    assert result.state == deadlines.OVERDUE


def test_it_flags_a_missing_business_date(car_dossier: Any, bob: Any) -> None:
    # Dealer-plated but no license date yet: flagged, not crashed.
    result = deadlines.dossier_deadline(car_dossier, today=D(2026, 10, 20))
    assert result.state == deadlines.DATE_MISSING
    assert "行驶证发证日期" in result.note
    services.dossier_audit(actor=bob, dossier=car_dossier)  # no crash either


def test_it_computes_working_days_after_for_car_service(
    templates: Any, bob: Any, bobs_customer: Any, calendar_2026: Any
) -> None:
    dossier = dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SERVICE"],
        fields={
            "vin": "1M8GDM9AXKP042788",
            "service_kind": "首保",
            "service_advisor": "王",
            "contact_person": "张三",
            "contact_mobile": "13800138000",
            "delivery_date": "2026-09-30",
        },
    )
    assert deadlines.dossier_deadline(dossier, today=D(2026, 9, 30)).due == D(2026, 10, 8)


# --- the three seed scenarios -----------------------------------------------------


def test_it_finds_a_vin_mismatch_between_out_slip_and_invoice(car_dossier: Any, alice: Any) -> None:
    car_dossier.fields = car_fields(license_date="2026-10-12")
    car_dossier.save(update_fields=["fields"])
    docs = _file_all(car_dossier, alice)
    services.document_check_save(
        actor=alice, document=docs["OUT_SLIP"], values={"vin": "1M8GDM9AXKP042788"}
    )
    services.document_check_save(
        actor=alice, document=docs["INVOICE_COPY"], values={"vin": "LSVAB4182E2000001"}
    )
    found = services.dossier_audit(actor=alice, dossier=car_dossier)
    inconsistent = [f for f in found if f.kind == Finding.Kind.INCONSISTENT]
    assert len(inconsistent) == 1
    finding = inconsistent[0]
    assert "整车出库单" in finding.detail and "机动车发票复印件" in finding.detail
    assert "车架号" in finding.rule
    assert finding.document == docs["INVOICE_COPY"]
    assert finding.responsible == car_dossier.customer.owner
    assert "audit_run" in audit_actions(object_id=str(car_dossier.pk))
    # Corrected on the document: the next run closes it.
    services.document_check_save(
        actor=alice, document=docs["INVOICE_COPY"], values={"vin": "1M8GDM9AXKP042788"}
    )
    services.dossier_audit(actor=alice, dossier=car_dossier)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.FIXED


def test_it_fines_a_missing_customer_signature_twenty_yuan(
    car_dossier: Any, alice: Any, bob: Any
) -> None:
    docs = _file_all(car_dossier, alice)
    services.document_check_save(
        actor=alice, document=docs["SALES_CONTRACT"], values={}, stamped=True, signed=False
    )
    found = services.dossier_audit(actor=alice, dossier=car_dossier)
    (no_sig,) = [f for f in found if f.kind == Finding.Kind.NO_SIGNATURE]
    assert no_sig.checklist_item is not None and no_sig.checklist_item.code == "SALES_CONTRACT"
    month = timezone.localdate().strftime("%Y-%m")
    lines = violations(month)
    assert [(v.finding.pk, v.amount) for v in lines] == [(no_sig.pk, Decimal("20.00"))]
    rows = services.penalties_assess(actor=alice, month=month)
    assert [r.amount for r in rows] == [Decimal("20.00")]
    assert "penalty_assess" in audit_actions()


def test_it_doubles_a_late_bag_after_one_violation_in_the_month(
    car_dossier: Any, alice: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    # An earlier violation this month: a missing signature (¥20, the 1st).
    docs = _file_all(car_dossier, alice)
    services.document_check_save(
        actor=alice, document=docs["DELIVERY_CHECK"], values={}, signed=False
    )
    services.dossier_audit(actor=alice, dossier=car_dossier)
    # A second bag, not plated by the dealer, picked up long ago and still not handed in.
    late = dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=another_car(1, plated_by_dealer=False, delivery_date="2026-01-05"),
    )
    found = services.dossier_audit(actor=alice, dossier=late)
    assert Finding.Kind.LATE in {f.kind for f in found}
    month = timezone.localdate().strftime("%Y-%m")
    by_kind = {v.finding.kind: v for v in violations(month) if v.occurrence == 0}
    assert by_kind["no_signature"].amount == Decimal("20.00")
    assert by_kind["late"].nth == 2
    assert by_kind["late"].amount == Decimal("100.00")
    statement = penalty_statement(month)
    (row,) = statement.people
    assert row.amount == Decimal("120.00")
    assert statement.total.amount == Decimal("120.00")


def test_it_counts_an_unfixed_finding_again_after_one_working_day(
    car_dossier: Any, alice: Any, calendar_2026: Any
) -> None:
    finding = services.finding_record(
        actor=alice, dossier=car_dossier, kind="no_signature", rule="交车检验单须有客户签字"
    )
    Finding.objects.filter(pk=finding.pk).update(found_at=_at(D(2026, 9, 30)))
    # Found 30 Sep; grace ends 8 Oct (first working day after the holiday); counts again 9 Oct.
    lines = violations("2026-10", today=D(2026, 10, 20))
    assert [(v.occurrence, v.on) for v in lines] == [(1, D(2026, 10, 9))]
    # Fixed within the grace: no re-offence.
    Finding.objects.filter(pk=finding.pk).update(fixed_at=_at(D(2026, 10, 8)), status="fixed")
    assert violations("2026-10", today=D(2026, 10, 20)) == []
    assert "finding_record" in audit_actions()


def test_it_reports_rates_and_decimal_totals(car_dossier: Any, alice: Any, bob: Any) -> None:
    car_dossier.fields = car_fields(plated_by_dealer=False, delivery_date="2026-10-01")
    car_dossier.save(update_fields=["fields"])
    _file_all(car_dossier, alice, on=D(2026, 10, 5))  # due 8 Oct: on time
    services.dossier_audit(actor=alice, dossier=car_dossier)
    other = dossier_create(
        actor=bob,
        customer=car_dossier.customer,
        archive_type=car_dossier.archive_type,
        fields=another_car(1, plated_by_dealer=False, delivery_date="2026-10-10"),
    )
    Document.objects.none()
    services.dossier_audit(actor=alice, dossier=other)  # due 17 Oct, nothing filed: late
    month = timezone.localdate().strftime("%Y-%m")
    stmt = penalty_statement("2026-10")
    (row,) = stmt.people
    assert (row.due, row.on_time, row.on_time_rate) == (2, 1, Decimal("50.0"))
    now = penalty_statement(month)
    (row,) = now.people
    assert (row.checked, row.complete, row.complete_rate) == (2, 1, Decimal("50.0"))
    assert isinstance(row.amount, Decimal) and row.amount == Decimal("50.00")


# --- exception statements -----------------------------------------------------------


def test_it_approves_an_exception_in_order(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    service = _user("sue", "customer_service", "客服部", "孙悦")
    boss = _user("gm", "director", "总经办", "周总")
    finding = services.finding_record(
        actor=alice, dossier=car_dossier, kind="missing", rule="行驶证复印件"
    )
    statement = services.statement_submit(actor=bob, finding=finding, text="车管所延迟出证")
    from dangan.core.errors import Forbidden, InvalidTransition

    with pytest.raises(InvalidTransition, match="尚未轮到您审批"):
        services.statement_approve(actor=boss, statement=statement)  # not yet his turn
    with pytest.raises(Forbidden):
        services.statement_approve(actor=bob, statement=statement)  # his own
    services.statement_approve(actor=carol, statement=statement)
    services.statement_approve(actor=service, statement=statement)
    services.statement_approve(actor=boss, statement=statement, note="同意备案")
    finding.refresh_from_db()
    statement.refresh_from_db()
    assert statement.status == "approved"
    assert finding.status == Finding.Status.EXCEPTED
    assert audit_actions(action__startswith="statement_") == [
        "statement_submit",
        "statement_approve",
        "statement_approve",
        "statement_approve",
    ]
    month = timezone.localdate().strftime("%Y-%m")
    assert violations(month) == []


def _notices(user: Any) -> list[tuple[str, str]]:
    from dangan.circulation.models import Notification

    return list(Notification.objects.filter(user=user).order_by("id").values_list("text", "link"))


def test_each_signer_hears_when_a_statement_waits_for_them_and_the_submitter_how_it_ended(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    service = _user("sue", "customer_service", "客服部", "孙悦")
    boss = _user("gm", "director", "总经办", "周总")
    other_manager = _user("dm2", "dept_manager", "销售二部", "吴经理")
    finding = services.finding_record(
        actor=alice, dossier=car_dossier, kind="missing", rule="行驶证复印件"
    )
    link = f"/intake/findings/{finding.pk}/"
    statement = services.statement_submit(actor=bob, finding=finding, text="车管所延迟出证")
    number = car_dossier.archive_number
    # the first step is the manager of the finding's department: carol, not 销售二部's
    assert [(t, lk) for t, lk in _notices(carol) if number in t and "待审批" in t] == [
        (f"待审批:档案袋情况说明 {number}(部门经理(销售一部)),王建国 提交", link)
    ]
    assert _notices(other_manager) == [] and _notices(service) == [] and _notices(boss) == []
    services.statement_approve(actor=carol, statement=statement)
    assert len(_notices(service)) == 1 and _notices(boss) == []
    services.statement_approve(actor=service, statement=statement)
    assert len(_notices(boss)) == 1
    assert _notices(bob) == []  # nothing to tell the submitter yet
    services.statement_approve(actor=boss, statement=statement)
    assert _notices(bob) == [(f"您提交的档案袋情况说明 {number} 已批准", link)]

    again = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    denied = services.statement_submit(actor=bob, finding=again, text="保险公司未出单")
    services.statement_deny(actor=carol, statement=denied, note="不属实")
    assert _notices(bob)[-1][0] == f"您提交的档案袋情况说明 {number} 已驳回"


# --- API and pages ------------------------------------------------------------------


def test_it_runs_the_audit_through_the_api(car_dossier: Any, alice: Any, client: Client) -> None:
    client.force_login(alice)
    docs = _file_all(car_dossier, alice)
    response = client.put(
        f"/api/v1/documents/{docs['SALES_CONTRACT'].pk}/check/",
        {"values": {}, "stamped": True, "signed": False, "copies": 3},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    response = client.post(f"/api/v1/dossiers/{car_dossier.pk}/audit/")
    assert response.status_code == 200
    kinds = {f["kind"] for f in response.json()["findings"]}
    assert "no_signature" in kinds
    assert response.json()["deadline"]["state"] == "date_missing"
    listed = client.get(f"/api/v1/dossiers/{car_dossier.pk}/findings/?status=open").json()
    assert {f["kind"] for f in listed["findings"]} == kinds
    month = timezone.localdate().strftime("%Y-%m")
    body = client.get(f"/api/v1/penalties/statement/?month={month}").json()
    assert body["total"]["amount"] == "20.00"
    assert client.get("/api/v1/penalties/statement/?month=2026-13x").status_code == 400
    xlsx = client.get(f"/intake/statement.xlsx?month={month}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_it_hides_daves_dossier_from_bob(
    bob: Any, daves_customer: Any, templates: Any, dave: Any, client: Client
) -> None:
    dossier = dossier_create(
        actor=dave,
        customer=daves_customer,
        archive_type=templates["CAR-SALE"],
        fields=another_car(1),
    )
    client.force_login(bob)
    assert client.post(f"/api/v1/dossiers/{dossier.pk}/audit/").status_code == 404
    assert client.post(f"/intake/dossiers/{dossier.pk}/audit/").status_code == 404
    assert client.get(f"/api/v1/dossiers/{dossier.pk}/findings/").status_code == 404
    assert not Finding.objects.exists()
    assert "audit_run" not in audit_actions()


def test_it_shows_findings_statement_overdue_and_calendar_pages(
    car_dossier: Any, alice: Any, client: Client
) -> None:
    client.force_login(alice)
    assert client.post(f"/intake/dossiers/{car_dossier.pk}/audit/").status_code == 302
    finding = Finding.objects.filter(dossier=car_dossier).first()
    assert finding is not None
    for url in (
        "/intake/findings/?status=open",
        f"/intake/findings/{finding.pk}/",
        "/intake/statement/?month=2026-10",
        "/intake/overdue/",
        "/intake/calendar/?year=2026",
        f"/intake/dossiers/{car_dossier.pk}/facts/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post("/intake/calendar/", {"date": "2026-12-31", "kind": "holiday"})
    assert response.status_code == 302
    day = Holiday.objects.get(date=D(2026, 12, 31))
    assert client.post(f"/intake/calendar/{day.pk}/remove/").status_code == 302
    assert audit_actions(action__startswith="calendar_") == ["calendar_set", "calendar_remove"]


def test_it_lists_the_overdue_by_account_manager_through_the_api(
    car_dossier: Any, alice: Any, bob: Any, dave: Any, eve: Any
) -> None:
    from rest_framework.test import APIClient

    def overdue(user: Any) -> Any:
        client = APIClient()
        client.force_authenticate(user)
        return client.get("/api/v1/intake/overdue/")

    (group,) = overdue(alice).json()["results"]  # the car dossier has no delivery date yet
    assert group["owner"] == {"id": bob.pk, "name": str(bob)}
    (row,) = group["dossiers"]
    assert row["id"] == car_dossier.pk and row["deadline"]["state"] == "date_missing"
    assert overdue(bob).json()["results"][0]["dossiers"][0]["id"] == car_dossier.pk
    assert overdue(dave).json() == {"results": []}  # another department's: not even counted
    assert overdue(eve).status_code == 403  # business staff see no dossiers


def test_it_keeps_the_working_day_calendar_through_the_api(alice: Any, bob: Any) -> None:
    from rest_framework.test import APIClient

    def as_user(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    clerk = as_user(alice)
    made = clerk.post(
        "/api/v1/intake/calendar/",
        {"date": "2030-10-08", "kind": "holiday", "name": "国庆"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    listed = clerk.get("/api/v1/intake/calendar/", {"year": 2030}).json()
    assert [(d["date"], d["kind"]) for d in listed["results"]] == [("2030-10-08", "holiday")]
    assert Calendar().is_working_day(D(2030, 10, 8)) is False  # a Tuesday, now a holiday
    bad = clerk.post("/api/v1/intake/calendar/", {"date": "2030-13-01", "kind": "x"}, format="json")
    assert bad.status_code == 400 and {"date", "kind"} <= set(bad.json())
    assert clerk.get("/api/v1/intake/calendar/", {"year": "20x0"}).status_code == 400
    assert clerk.post("/api/v1/intake/calendar/load/", {"year": 1999}).status_code == 400
    assert as_user(bob).get("/api/v1/intake/calendar/").status_code == 403
    from dangan.core.errors import Forbidden

    with pytest.raises(Forbidden):  # the service itself, whoever calls it
        services.holiday_set(actor=bob, date=D(2030, 10, 9), kind="holiday")
    assert as_user(bob).delete(f"/api/v1/intake/calendar/{made.json()['id']}/").status_code == 403
    assert clerk.delete(f"/api/v1/intake/calendar/{made.json()['id']}/").status_code == 204
    assert clerk.delete(f"/api/v1/intake/calendar/{made.json()['id']}/").status_code == 404
    loaded = clerk.post("/api/v1/intake/calendar/load/", {"year": 2026}, format="json")
    assert loaded.status_code == 200 and loaded.json()["dates"] > 0  # the shipped schedule
    assert audit_actions(action__startswith="calendar_") == [
        "calendar_set",
        "calendar_remove",
        "calendar_load",
    ]
