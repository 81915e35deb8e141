"""Field-test fixes of issue 29 (money and deadlines): the 上交及时率, fines that can be
charged, hours-based deadlines, conditional checklist items, deadline variants."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from conftest import another_car
from dangan.archives.checklist import dossier_checklist
from dangan.archives.services import dossier_create
from dangan.documents.models import Document
from dangan.documents.services import document_add
from dangan.intake.penalties import penalty_statement

pytestmark = pytest.mark.django_db
D = datetime.date


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _file_all(dossier: Any, actor: Any, on: datetime.date) -> None:
    for row in dossier_checklist(dossier).rows:
        if row.required:
            document_add(actor=actor, dossier=dossier, checklist_item=row.item, title=row.item.name)
    Document.objects.filter(dossier=dossier).update(created_at=_at(on))


_cars = itertools.count(1)


def _car(templates: Any, bob: Any, customer: Any, **fields: Any) -> Any:
    """A car sale of a car of its own (一车一档: one dossier per VIN)."""
    return dossier_create(
        actor=bob,
        customer=customer,
        archive_type=templates["CAR-SALE"],
        fields=another_car(next(_cars), **fields),
    )


# --- 上交及时率 ------------------------------------------------------------------------


def test_it_does_not_count_bags_not_yet_due_as_late(
    templates: Any, alice: Any, bob: Any, bobs_customer: Any
) -> None:
    # Three bags, picked up on 13 Oct, not dealer-plated: each due 20 Oct (pick-up + 7).
    bags = [
        _car(templates, bob, bobs_customer, plated_by_dealer=False, delivery_date="2026-10-13")
        for _ in range(3)
    ]
    today = D(2026, 10, 20)
    # On the morning of the 20th nothing is late yet: the rate is "—", not 0 %.
    statement = penalty_statement("2026-10", today=today)
    assert statement.people == []
    assert (statement.total.due, statement.total.on_time_rate) == (0, None)
    # One bag handed in on its due day: on time; the two others not yet counted.
    _file_all(bags[0], alice, on=today)
    (row,) = penalty_statement("2026-10", today=today).people
    assert (row.due, row.on_time, row.on_time_rate) == (1, 1, Decimal("100.0"))
    # The next day the two others are late.
    (row,) = penalty_statement("2026-10", today=today + datetime.timedelta(days=1)).people
    assert (row.due, row.on_time) == (3, 1)
    assert row.on_time_rate == Decimal("33.3")


# --- hours on a date-only field ---------------------------------------------------------


def _flat(templates: Any, bob: Any, customer: Any, contract_date: str) -> Any:
    fields = {"building": "3", "unit": "1-1203", "payment": "按揭", "contract_date": contract_date}
    return dossier_create(
        actor=bob, customer=customer, archive_type=templates["RE-SALE"], fields=fields
    )


def test_it_counts_24_hours_after_a_date_to_the_end_of_the_next_day(
    templates: Any, alice: Any, bob: Any, bobs_customer: Any
) -> None:
    from dangan.intake import checks, deadlines

    dossier = _flat(templates, bob, bobs_customer, "2026-10-10")
    result = deadlines.dossier_deadline(dossier, today=D(2026, 10, 11))
    # Not midnight of the signing day: the whole of the next day.
    assert result.due == D(2026, 10, 11)
    assert result.state != deadlines.OVERDUE
    # Handed in the next morning: on time, no lateness finding, nothing to fine.
    _file_all(dossier, alice, on=D(2026, 10, 11))
    result = deadlines.dossier_deadline(dossier, today=D(2026, 10, 12))
    assert result.state == deadlines.ON_TIME
    assert checks.lateness(result) == []
    # Two days later it is late.
    late = _flat(templates, bob, bobs_customer, "2026-10-10")
    _file_all(late, alice, on=D(2026, 10, 12))
    assert deadlines.dossier_deadline(late, today=D(2026, 10, 12)).state == deadlines.OVERDUE


def test_it_counts_hours_from_a_stored_time_of_day() -> None:
    from dangan.intake import deadlines

    signed = timezone.make_aware(datetime.datetime.fromisoformat("2026-10-10T15:30"))
    assert deadlines.hours_due(signed, 24) == signed + datetime.timedelta(hours=24)
    assert deadlines.hours_due(D(2026, 10, 10), 24) == D(2026, 10, 11)
    assert deadlines.hours_due(D(2026, 10, 10), 48) == D(2026, 10, 12)
    assert deadlines.hours_due(D(2026, 10, 10), 12) == D(2026, 10, 11)


# --- fines that can be charged ---------------------------------------------------------


def _service_dossier(templates: Any, bob: Any, customer: Any) -> Any:
    return dossier_create(
        actor=bob,
        customer=customer,
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


@pytest.mark.parametrize(
    ("template", "kind", "amount"),
    [
        ("CAR-SERVICE", "contact_not_verified", "50.00"),
        ("CAR-SERVICE", "no_internal_signature", "20.00"),
        ("CAR-SALE", "lost", "20.00"),
    ],
)
def test_each_recorded_fine_can_be_charged(
    template: str,
    kind: str,
    amount: str,
    templates: Any,
    alice: Any,
    bob: Any,
    bobs_customer: Any,
    client: Any,
) -> None:
    from dangan.intake import penalties, services

    if template == "CAR-SERVICE":
        dossier = _service_dossier(templates, bob, bobs_customer)
    else:
        dossier = _car(templates, bob, bobs_customer)
    client.force_login(alice)
    response = client.post(
        f"/intake/dossiers/{dossier.pk}/findings/new/", {"kind": kind, "detail": "经办人登记"}
    )
    assert response.status_code == 302
    (finding,) = dossier.findings.all()
    assert (finding.kind, finding.responsible) == (kind, bob)
    rule = penalties.rules_of(dossier.archive_type)[kind]
    assert finding.rule == rule.label
    month = timezone.localdate().strftime("%Y-%m")
    rows = services.penalties_assess(actor=alice, month=month)
    assert [(r.finding_id, r.amount) for r in rows] == [(finding.pk, Decimal(amount))]


def test_it_records_a_finding_through_the_api(
    templates: Any, alice: Any, bob: Any, bobs_customer: Any, client: Any
) -> None:
    from conftest import audit_actions

    dossier = _car(templates, bob, bobs_customer)
    client.force_login(alice)
    url = f"/api/v1/dossiers/{dossier.pk}/findings/"
    bad = client.post(url, {"kind": "late"}, content_type="application/json")
    assert bad.status_code == 400 and "kind" in bad.json()
    made = client.post(
        url, {"kind": "lost", "detail": "借出后遗失"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["kind"] == "lost"
    assert audit_actions(action="finding_record") == ["finding_record"]


def test_every_penalty_rule_of_the_shipped_templates_names_a_real_kind(templates: Any) -> None:
    from dangan.intake import penalties
    from dangan.rules.schema import penalty_kind_names

    known = penalty_kind_names()
    for archive_type in templates.values():
        for raw in archive_type.penalties:
            assert raw["finding"] in known, (archive_type.code, raw)
        assert len(penalties.rules_of(archive_type)) >= len(archive_type.penalties)


def test_the_loader_refuses_a_penalty_on_an_unknown_kind() -> None:
    import yaml

    from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

    data = yaml.safe_load((SEED_DIR / "04_car_service.yaml").read_text(encoding="utf-8"))
    data["penalties"][0]["finding"] = "contact_unverified"
    with pytest.raises(TemplateError, match=r"penalties: .*“contact_unverified”未知"):
        validate_template(data, "04_car_service.yaml")


# --- conditional checklist items follow the dossier's fields ---------------------------


def test_a_non_showroom_pickup_requires_only_the_customer_card(
    templates: Any, bob: Any, bobs_customer: Any
) -> None:
    showroom = _car(templates, bob, bobs_customer)  # dealer-plated: the licence copy too
    assert dossier_checklist(showroom).required_count == 12
    elsewhere = _car(templates, bob, bobs_customer, pickup_place="非展厅")
    checklist = dossier_checklist(elsewhere)
    assert [row.item.code for row in checklist.rows if row.required] == ["INFO_CARD"]
    assert [row.item.code for row in checklist.missing_rows] == ["INFO_CARD"]


def test_a_walk_in_hotel_guest_is_not_asked_for_membership_papers(
    templates: Any, bob: Any, bobs_customer: Any
) -> None:
    def required(guest_kind: str) -> set[str]:
        dossier = dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["HOTEL-GUEST"],
            fields={"guest_kind": guest_kind},
        )
        return {row.item.code for row in dossier_checklist(dossier).rows if row.required}

    assert {"MEMBER_REG", "BACKGROUND"} <= required("会员")
    assert {"MEMBER_REG", "BACKGROUND"} <= required("协议单位")
    assert not {"MEMBER_REG", "BACKGROUND"} & required("散客")


def test_the_loader_refuses_a_condition_no_dossier_can_meet() -> None:
    import yaml

    from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

    text = (SEED_DIR / "05_hotel_guest.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    member = next(i for i in data["checklist"] if i["code"] == "MEMBER_REG")
    member["when"] = {"fields.guest_kind": ["会员", "VIP"]}  # not a choice of the field
    with pytest.raises(TemplateError, match="'VIP' is not one of"):
        validate_template(data, "05_hotel_guest.yaml")
    member["when"] = {"fields.signing_customer": "是"}  # a yes/no field: true or false
    with pytest.raises(TemplateError, match="signing_customer"):
        validate_template(data, "05_hotel_guest.yaml")
    member["when"] = {"fields.guest_kind": {"not": "散客"}}
    validate_template(data, "05_hotel_guest.yaml")


def test_the_template_editor_takes_a_negated_condition(templates: Any, alice: Any) -> None:
    from dangan.archives.forms import ChecklistItemForm, condition_text
    from dangan.archives.services import checklist_item_add
    from dangan.core.errors import ApplicationError

    form = ChecklistItemForm(
        {
            "name": "提车照片",
            "requirement": "conditional",
            "condition": "fields.pickup_place!=非展厅",
            "copies": 1,
        }
    )
    assert form.is_valid(), form.errors
    data = form.service_data()
    assert data["when"] == {"fields.pickup_place": {"not": "非展厅"}}
    sam = _user_with("sam2", "sysadmin")
    item = checklist_item_add(actor=sam, archive_type=templates["CAR-SALE"], data=data)
    assert condition_text(item.when) == "fields.pickup_place!=非展厅"
    with pytest.raises(ApplicationError):
        checklist_item_add(
            actor=sam,
            archive_type=templates["CAR-SALE"],
            data={**data, "when": {"fields.pickup_place": "门店"}},
        )


def _user_with(username: str, role: str) -> Any:
    from conftest import _user

    return _user(username, role, "", username)


# --- deadline variants: the company picks one per type ---------------------------------


def test_the_company_picks_seed_001s_three_working_days(
    templates: Any, alice: Any, bob: Any, bobs_customer: Any, sam: Any
) -> None:
    from dangan.archives.loader import templates_load
    from dangan.archives.services import archive_type_update
    from dangan.intake import deadlines, services
    from dangan.intake.calendar import Calendar

    services.calendar_load(actor=alice, year=2026)
    car = templates["CAR-SALE"]
    assert [v["key"] for v in car.deadline_variants] == ["licence_or_pickup", "three_working_days"]
    assert car.deadline_variant == "licence_or_pickup"
    dossier = _car(
        templates, bob, bobs_customer, plated_by_dealer=False, delivery_date="2026-09-30"
    )
    assert deadlines.dossier_deadline(dossier).due == D(2026, 10, 7)  # pick-up + 7 days
    archive_type_update(
        actor=sam, archive_type=car, changes={"deadline_variant": "three_working_days"}
    )
    dossier.archive_type.refresh_from_db()
    # Three working days after 30 Sep, across 国庆 and the 调休 Saturday: 10 Oct.
    result = deadlines.dossier_deadline(dossier, cal=Calendar())
    assert result.due == D(2026, 10, 10)
    assert "3个工作日" in result.note
    # Reloading the templates with --update keeps the company's choice.
    templates_load(actor=None, update=True)
    car.refresh_from_db()
    assert car.deadline_variant == "three_working_days"
    assert car.deadline["kind"] == "working_days_after"


def test_it_refuses_a_deadline_variant_the_template_does_not_offer(
    templates: Any, sam: Any, client: Any
) -> None:
    from dangan.archives.services import archive_type_update
    from dangan.core.errors import ApplicationError

    car = templates["CAR-SALE"]
    with pytest.raises(ApplicationError) as refused:
        archive_type_update(actor=sam, archive_type=car, changes={"deadline_variant": "x"})
    assert refused.value.field == "deadline_variant"
    client.force_login(sam)
    html = client.get(f"/archive-types/{car.pk}/").content.decode()
    assert 'name="deadline_variant"' in html and "交车后3个工作日内" in html


def test_the_loader_checks_deadline_rules_and_variants() -> None:
    import yaml

    from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

    data = yaml.safe_load((SEED_DIR / "03_car_sales.yaml").read_text(encoding="utf-8"))
    data["deadline_variant"] = "seven_days"
    with pytest.raises(TemplateError, match="deadline_variant: "):
        validate_template(data, "03_car_sales.yaml")
    data["deadline_variant"] = "three_working_days"
    data["deadline_variants"][1]["rule"]["field"] = "delivered"  # no such date field
    with pytest.raises(TemplateError, match="“delivered”不是本类型的日期字段"):
        validate_template(data, "03_car_sales.yaml")
    data["deadline_variants"][1]["rule"] = {"kind": "working_day_after", "days": 3}
    with pytest.raises(TemplateError, match=r"deadline_variants: .*“working_day_after”未知"):
        validate_template(data, "03_car_sales.yaml")
