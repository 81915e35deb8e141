"""Change control of filed records (issue 23 §3): reasons, approvals through the shared
engine, the field-level history, masked as the reader's role requires."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import _user, audit_actions
from dangan.archives.services import dossier_update
from dangan.audit.models import AuditEntry
from dangan.changes import control
from dangan.changes.models import ChangeRecord, ChangeRequest
from dangan.changes.services import change_request_approve
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def patch(user: Any, dossier: Any, body: dict[str, Any]) -> Any:
    return api(user).patch(f"/api/v1/dossiers/{dossier.pk}/", body, format="json")


# --- the rule as data ---------------------------------------------------------------


def test_it_reads_the_seed_defaults(templates: Any) -> None:
    car = templates["CAR-SALE"].change_control
    assert control.dossier_level(car, "fields.color") == control.APPROVAL  # 003: 须经理同意
    assert control.dossier_level(car, "title") == control.REASON
    assert control.dossier_level(car, "location") == control.FREE
    prop = templates["PROPERTY"].change_control
    assert control.dossier_level(prop, "fields.plate_no") == control.REASON  # 002 4.3.6
    assert control.customer_level([], "mobile") == control.FREE
    assert control.customer_level([], "name") == control.REASON  # identity: always


def test_it_refuses_an_unknown_level_or_field() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        control.validate({"default": "maybe"}, field_keys=[], customer_fields=[])
    with pytest.raises(ValueError, match="unknown field"):
        control.validate(
            {"fields": {"fields.nope": "free"}}, field_keys=["vin"], customer_fields=[]
        )
    assert control.strictest(["free", "bogus"]) == control.APPROVAL  # fail closed


# --- reason ---------------------------------------------------------------------------


def test_it_names_a_missing_reason_and_changes_nothing(alice: Any, car_dossier: Any) -> None:
    title = car_dossier.title
    response = patch(alice, car_dossier, {"title": "新题名"})
    assert response.status_code == 400
    assert "reason" in response.json()
    car_dossier.refresh_from_db()
    assert car_dossier.title == title
    assert not ChangeRecord.objects.exists()
    refused = AuditEntry.objects.filter(
        action="change", object_id=str(car_dossier.pk), outcome=AuditEntry.Outcome.FAILED
    )
    assert refused.count() == 1


def test_it_applies_a_change_with_its_reason_and_records_it(alice: Any, car_dossier: Any) -> None:
    old = car_dossier.title
    response = patch(alice, car_dossier, {"title": "新题名", "reason": "题名笔误"})
    assert response.status_code == 200, response.content
    (record,) = ChangeRecord.objects.filter(dossier=car_dossier)
    assert (record.field, record.before, record.after) == ("title", old, "新题名")
    assert (record.reason, record.changed_by, record.approved_by) == ("题名笔误", alice, None)
    entry = AuditEntry.objects.filter(action="change", object_id=str(car_dossier.pk)).last()
    assert entry is not None and entry.detail["reason"] == "题名笔误"


def test_it_lets_a_free_field_change_without_a_reason(alice: Any, car_dossier: Any) -> None:
    response = patch(alice, car_dossier, {"location": {"room": "一号库房"}})
    assert response.status_code == 200, response.content
    (record,) = ChangeRecord.objects.filter(dossier=car_dossier)
    assert (record.field, record.level, record.reason) == ("location", "free", "")


# --- approval ---------------------------------------------------------------------------


def _ask(alice: Any, dossier: Any, color: str = "红") -> ChangeRequest:
    response = patch(alice, dossier, {"fields": {"color": color}, "reason": "颜色登记错误"})
    assert response.status_code == 202, response.content
    return ChangeRequest.objects.get(pk=response.json()["id"])


def test_it_asks_for_approval_and_applies_on_it(alice: Any, carol: Any, car_dossier: Any) -> None:
    old = car_dossier.fields["color"]
    request = _ask(alice, car_dossier)
    car_dossier.refresh_from_db()
    assert car_dossier.fields["color"] == old  # nothing applied yet
    history = api(alice).get(f"/api/v1/dossiers/{car_dossier.pk}/history/").json()
    assert [(r["kind"], r["field"], r["before"], r["after"]) for r in history] == [
        ("pending", "fields.color", old, "红")
    ]
    waiting = api(carol).get("/api/v1/change-requests/").json()
    assert [r["number"] for r in waiting] == [request.number]
    response = api(carol).post(f"/api/v1/change-requests/{request.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "applied"
    car_dossier.refresh_from_db()
    assert car_dossier.fields["color"] == "红"
    (record,) = ChangeRecord.objects.filter(dossier=car_dossier)
    assert (record.changed_by, record.approved_by, record.request) == (alice, carol, request)
    history = api(alice).get(f"/api/v1/dossiers/{car_dossier.pk}/history/").json()
    assert [(r["kind"], r["approved_by"]) for r in history] == [("change", str(carol))]
    assert "approve" in audit_actions(object_type="changerequest", object_id=str(request.pk))


def test_it_refuses_approving_ones_own_change(carol: Any, alice: Any, car_dossier: Any) -> None:
    # carol holds the only office of the chain and asks herself: the engine passes the
    # step to the archivist (never stalls), and carol never signs it.
    response = patch(carol, car_dossier, {"fields": {"color": "蓝"}, "reason": "改色"})
    assert response.status_code == 202
    request = ChangeRequest.objects.get()
    assert request.steps.get().escalated_to == "archivist"
    with pytest.raises(Forbidden):
        change_request_approve(actor=carol, change_request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    car_dossier.refresh_from_db()
    assert car_dossier.fields["color"] != "蓝"
    refused = AuditEntry.objects.filter(
        action="approve", object_id=str(request.pk), outcome=AuditEntry.Outcome.DENIED
    )
    assert refused.count() == 1
    response = api(carol).post(f"/api/v1/change-requests/{request.pk}/approve/", {}, format="json")
    assert response.status_code == 403


def test_it_refuses_a_stale_change_request(alice: Any, carol: Any, car_dossier: Any) -> None:
    first = _ask(alice, car_dossier, "红")
    second = _ask(alice, car_dossier, "黑")
    change_request_approve(actor=carol, change_request=first)
    with pytest.raises(InvalidTransition) as caught:
        change_request_approve(actor=carol, change_request=second)
    assert "颜色" in str(caught.value.message)
    second.refresh_from_db()
    assert second.status == ChangeRequest.Status.PENDING
    assert second.steps.get().status == "pending"  # the signature rolled back too
    car_dossier.refresh_from_db()
    assert car_dossier.fields["color"] == "红"


def test_it_denies_a_change_request(alice: Any, carol: Any, car_dossier: Any) -> None:
    request = _ask(alice, car_dossier)
    url = f"/api/v1/change-requests/{request.pk}/deny/"
    assert api(carol).post(url, {}, format="json").status_code == 400  # a note is required
    response = api(carol).post(url, {"note": "原登记无误"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "denied"
    assert not ChangeRecord.objects.exists()


def test_it_hides_change_requests_of_another_department(
    alice: Any, carol: Any, dave: Any, car_dossier: Any
) -> None:
    request = _ask(alice, car_dossier)
    assert api(dave).get("/api/v1/change-requests/").json() == []
    url = f"/api/v1/change-requests/{request.pk}/approve/"
    assert api(dave).post(url, {}, format="json").status_code == 404
    assert api(dave).get(f"/api/v1/dossiers/{car_dossier.pk}/history/").status_code == 404


def test_it_asks_through_the_change_request_endpoint(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    response = api(alice).post(
        "/api/v1/change-requests/",
        {
            "object_type": "dossier",
            "object_id": car_dossier.pk,
            "changes": {"title": "新题名"},
            "reason": "统一题名",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["changes"][0]["after"] == "新题名"
    missing = api(alice).post(
        "/api/v1/change-requests/",
        {"object_type": "dossier", "object_id": 999999, "changes": {}, "reason": "x"},
        format="json",
    )
    assert missing.status_code == 400
    assert "object_id" in missing.json()


# --- customers ------------------------------------------------------------------------


def test_it_needs_a_reason_to_rename_a_customer(bob: Any, bobs_customer: Any) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/"
    response = api(bob).patch(url, {"name": "张叁"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    bobs_customer.refresh_from_db()
    assert bobs_customer.name == "张三"
    response = api(bob).patch(url, {"name": "张叁", "reason": "身份证为准"}, format="json")
    assert response.status_code == 200, response.content
    (record,) = ChangeRecord.objects.filter(customer=bobs_customer)
    assert (record.field, record.before, record.after) == ("name", "张三", "张叁")


def test_it_masks_the_history_as_the_readers_role_requires(
    alice: Any, bob: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/"
    response = api(alice).patch(
        url,
        {"mobile": "13912345678", "id_number": "11010119710508479X", "reason": "客户更正"},
        format="json",
    )
    assert response.status_code == 200, response.content
    from dangan.accounts.models import Role

    director = Role.objects.get(code="director")
    director.permissions = [*director.permissions, "customer.view_identity"]
    director.save(update_fields=["permissions"])
    reader = _user("vic", "director", "总经办")
    rows = {r["field"]: r for r in api(reader).get(f"{url}history/").json()}
    assert (rows["mobile"]["before"], rows["mobile"]["after"]) == ("13800138000", "13912345678")
    assert rows["id_number"]["after"] == "11010119710508479X"
    masked = {r["field"]: r for r in api(bob).get(f"{url}history/").json()}
    assert masked["mobile"]["after"] != "13912345678" and "*" in masked["mobile"]["after"]
    assert "*" in masked["id_number"]["after"]
    assert "11010119710508479X" not in str(masked)
    stored = ChangeRecord.objects.get(field="id_number")
    assert stored.sensitive and "11010119710508479X" not in str(stored.after)


def test_it_keeps_the_partial_commit_case_whole_with_reasons(carol: Any, car_dossier: Any) -> None:
    response = patch(
        carol, car_dossier, {"title": "新题名", "location": {"room": "库"}, "reason": "整理"}
    )
    assert response.status_code == 403
    car_dossier.refresh_from_db()
    assert car_dossier.title != "新题名"
    assert not ChangeRecord.objects.exists()


def test_it_applies_through_the_service_for_the_approver_only(alice: Any, car_dossier: Any) -> None:
    with pytest.raises(ApplicationError):
        dossier_update(actor=alice, dossier=car_dossier, changes={"title": "x"})


def test_an_approved_location_change_moves_the_bag_through_the_locations_app(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    from dangan.locations.models import Move

    car_dossier.archive_type.change_control = {"fields": {"location": "approval"}}
    car_dossier.archive_type.save(update_fields=["change_control"])
    body = {"location": {"room": "档案室一", "cabinet": "A柜"}, "reason": "调整柜位"}
    response = patch(alice, car_dossier, body)
    assert response.status_code == 202, response.content
    assert not Move.objects.filter(dossier=car_dossier).exists()
    request = ChangeRequest.objects.get(pk=response.json()["id"])
    change_request_approve(actor=carol, change_request=request)
    car_dossier.refresh_from_db()
    assert (car_dossier.location_room, car_dossier.location_cabinet) == ("档案室一", "A柜")
    (move,) = Move.objects.filter(dossier=car_dossier)
    assert move.reason == "调整柜位" and "档案室一" in move.to_text
    (record,) = ChangeRecord.objects.filter(dossier=car_dossier, field="location")
    assert record.approved_by == carol and record.after["cabinet"] == "A柜"


def test_a_company_file_changes_with_a_reason_and_asks_its_department(
    alice: Any, bob: Any, carol: Any, templates: Any
) -> None:
    from dangan.archives import company

    minutes = company.company_dossier_create(
        actor=carol,
        archive_type=templates["CO-DAILY"],
        department=carol.department,
        title="2026年销售一部经理会议纪要",
    )
    missing = patch(alice, minutes, {"title": "2026年销售一部会议纪要"})
    assert missing.status_code == 400 and "reason" in missing.json()
    done = patch(alice, minutes, {"title": "2026年销售一部会议纪要", "reason": "题名简化"})
    assert done.status_code == 200, done.content
    history = api(alice).get(f"/api/v1/dossiers/{minutes.pk}/history/").json()
    assert [(r["field"], r["reason"]) for r in history if r["kind"] == "change"] == [
        ("title", "题名简化")
    ]
    response = api(alice).post(
        "/api/v1/change-requests/",
        {
            "object_type": "dossier",
            "object_id": minutes.pk,
            "changes": {"title": "2026年销售一部经理会议纪要(全年)"},
            "reason": "补全题名",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["customer"] is None
    waiting = api(carol).get("/api/v1/change-requests/").json()
    assert [r["id"] for r in waiting] == [response.json()["id"]]


# --- on the one approval engine (issue 27 §8) ------------------------------------------


def test_the_chain_runs_on_the_engine_by_the_rule_of_kind_change(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    from dangan.circulation.models import ApprovalStep
    from dangan.rules.models import RuleVersion

    response = patch(alice, car_dossier, {"fields": {"color": "蓝"}, "reason": "颜色登记错误"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert [(s["role"], s["status"]) for s in body["steps"]] == [("dept_manager", "pending")]
    request = ChangeRequest.objects.get(pk=body["id"])
    assert request.rule is not None and request.rule.kind == "change"
    assert request.rule_version is not None
    assert request.rule_version.subject == RuleVersion.Subject.APPROVAL_RULE
    assert request.rule_version.object_id == request.rule.pk
    (step,) = ApprovalStep.objects.filter(change_request=request)
    assert (step.role, step.department, step.status) == (
        "dept_manager",
        car_dossier.customer.department,
        "pending",
    )


def test_only_the_keeping_departments_manager_approves(
    alice: Any, bob: Any, carol: Any, car_dossier: Any
) -> None:
    other = _user("oscar", "dept_manager", "销售二部", "周强")
    request = _ask(alice, car_dossier)
    from dangan.changes.selectors import waiting_for
    from dangan.circulation.selectors import menu_counts

    assert waiting_for(other) == [] and waiting_for(bob) == []
    assert waiting_for(carol) == [request]
    # The menu's badge counts the same in its one statement (menu_counts, in SQL).
    assert [menu_counts(u)[2] for u in (other, bob, carol, alice)] == [0, 0, 1, 0]
    for outsider in (other, bob):
        with pytest.raises((Forbidden, InvalidTransition)):
            change_request_approve(actor=outsider, change_request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    change_request_approve(actor=carol, change_request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPLIED


def test_an_edited_rule_sets_the_next_requests_chain(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    from dangan.circulation.models import ApprovalRule
    from dangan.rules.services import approval_rule_update

    director = _user("dirk", "director", "", "赵总")
    rule = ApprovalRule.objects.get(kind="change")
    approval_rule_update(
        actor=alice,
        rule=rule,
        data={
            "name": rule.name,
            "priority": rule.priority,
            "kind": "change",
            "steps": [
                {"role": "dept_manager", "department": "customer"},
                {"role": "director", "department": "any"},
            ],
            "escalate_after_hours": 48,
        },
    )
    request = _ask(alice, car_dossier)
    assert [s.role for s in request.steps.order_by("position")] == ["dept_manager", "director"]
    with pytest.raises(InvalidTransition):  # not the director's turn yet
        change_request_approve(actor=director, change_request=request)
    change_request_approve(actor=carol, change_request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING  # the director's step now
    change_request_approve(actor=director, change_request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPLIED


def test_a_destruction_list_refuses_a_dossier_with_an_open_change_request(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    from dangan.disposal.services import list_propose

    request = _ask(alice, car_dossier)
    with pytest.raises(InvalidTransition, match="修改申请"):
        list_propose(actor=alice, dossiers=[car_dossier.pk], reason="期满")
    assert request.status == ChangeRequest.Status.PENDING


# --- the rules page, the archive type's API -------------------------------------------


def test_the_rules_page_sets_a_fields_change_control(
    alice: Any, carol: Any, car_dossier: Any
) -> None:
    from django.test import Client

    from conftest import PASSWORD

    car = car_dossier.archive_type
    client = Client()
    assert client.login(username=alice.username, password=PASSWORD)
    page = client.get(f"/rules/archive-types/{car.pk}/").content.decode()
    assert 'id="change_control"' in page
    response = client.post(
        f"/rules/archive-types/{car.pk}/",
        {
            "section": "change_control",
            "change_control-default": "approval",
            "change_control-customer_default": "reason",
            "change_control-f_fields__color": "free",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    car.refresh_from_db()
    assert control.dossier_level(car.change_control, "fields.color") == control.FREE
    assert control.dossier_level(car.change_control, "title") == control.APPROVAL
    # the template's customer.* entries are kept
    assert car.change_control["fields"]["customer.remarks"] == "free"
    assert patch(alice, car_dossier, {"fields": {"color": "蓝"}}).status_code == 200


def test_the_archive_type_api_round_trips_change_control(alice: Any, car_dossier: Any) -> None:
    car = car_dossier.archive_type
    url = f"/api/v1/archive-types/{car.pk}/"
    body = api(alice).get(url).json()
    assert body["change_control"] == car.change_control
    body["change_control"] = {**body["change_control"], "default": "reason"}
    put = {k: v for k, v in body.items() if k not in ("id", "code", "source", "version")}
    response = api(alice).put(url, put, format="json")
    assert response.status_code == 200, response.content
    car.refresh_from_db()
    assert car.change_control["default"] == "reason"
    bad = {**put, "change_control": {"default": "maybe"}}
    response = api(alice).put(url, bad, format="json")
    assert response.status_code == 400 and "change_control" in response.json()
