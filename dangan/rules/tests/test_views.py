"""The archive room's rule pages: structured forms per section, the approval rules and
"谁来审批?"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import PASSWORD, audit_actions, ensure_default_roles
from dangan.circulation.models import ApprovalRule
from dangan.rules.models import RuleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults(db: Any) -> None:
    ensure_default_roles()


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _management(prefix: str, total: int, initial: int) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _penalty_rows(archive_type: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"section": "penalties"}
    rows = list(archive_type.penalties)
    data.update(_management("penalties", len(rows) + 1, len(rows)))
    for n, rule in enumerate(rows):
        for key in ("finding", "amount", "escalate_from", "factor", "label"):
            data[f"penalties-{n}-{key}"] = rule.get(key, "")
    return data


def test_the_archivist_raises_a_fine_on_the_rules_page(alice: Any, templates: Any) -> None:
    car = templates["CAR-SALE"]
    client = login(alice)
    page = client.get(f"/rules/archive-types/{car.pk}/")
    assert page.status_code == 200
    assert "考核规则" in page.content.decode()
    data = _penalty_rows(car)
    data["penalties-0-amount"] = "100.00"
    response = client.post(f"/rules/archive-types/{car.pk}/", data)
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.penalties[0]["amount"] == "100.00"
    assert RuleVersion.objects.filter(subject="archive_type", object_id=car.pk).count() >= 2
    assert audit_actions(action="change", object_type="archivetype") == ["change"]


def test_a_negative_fine_is_refused_in_chinese_and_nothing_saved(
    alice: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    data = _penalty_rows(car)
    data["penalties-1-amount"] = "-20"
    response = login(alice).post(f"/rules/archive-types/{car.pk}/", data)
    assert response.status_code == 200
    assert "不能为负数" in response.content.decode()
    car.refresh_from_db()
    assert car.penalties[1]["amount"] == "20.00"
    assert audit_actions(action="change", object_type="archivetype") == []


def test_a_deadline_is_set_from_the_form(alice: Any, templates: Any) -> None:
    service = templates["CAR-SERVICE"]
    data = {
        "section": "deadline",
        "deadline-kind": "working_days_after",
        "deadline-field": "delivery_date",
        "deadline-days": "2",
        "deadline-note": "交车后2个工作日内",
    }
    response = login(alice).post(f"/rules/archive-types/{service.pk}/", data)
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.deadline == {
        "kind": "working_days_after",
        "field": "delivery_date",
        "days": 2,
        "note": "交车后2个工作日内",
    }


def test_a_deadline_counting_from_nothing_is_refused(alice: Any, templates: Any) -> None:
    service = templates["CAR-SERVICE"]
    before = dict(service.deadline)
    data = {"section": "deadline", "deadline-kind": "days_after", "deadline-days": "2"}
    response = login(alice).post(f"/rules/archive-types/{service.pk}/", data)
    assert "不是本类型的日期字段" in response.content.decode()
    service.refresh_from_db()
    assert service.deadline == before


def test_the_rules_page_is_for_the_rule_keepers(bob: Any, templates: Any) -> None:
    car = templates["CAR-SALE"]
    rule = ApprovalRule.objects.order_by("-priority").first()
    assert rule is not None
    assert login(bob).get(f"/rules/archive-types/{car.pk}/").status_code == 403
    assert login(bob).get("/rules/approval/").status_code == 403
    assert login(bob).post(f"/rules/approval/{rule.pk}/delete/").status_code == 403
    assert ApprovalRule.objects.filter(pk=rule.pk).exists()


def test_the_archivist_deletes_an_approval_rule(alice: Any) -> None:
    requests_rules = ApprovalRule.objects.exclude(kind__in=["disposal", "statement", "change"])
    rule = requests_rules.order_by("-priority").first()
    assert rule is not None
    response = login(alice).post(f"/rules/approval/{rule.pk}/delete/")
    assert response.status_code == 302
    assert not ApprovalRule.objects.filter(pk=rule.pk).exists()
    assert audit_actions(action="delete", object_type="approvalrule") == ["delete"]


def test_an_approval_rule_is_made_from_the_form(alice: Any, carol: Any) -> None:
    data = {
        "name": "复制:部门经理、档案管理员审批",
        "priority": "15",
        "is_active": "on",
        "kind": "copy",
        "step1_role": "dept_manager",
        "step1_department": "requester",
        "step2_role": "archivist",
        "step2_department": "any",
    }
    response = login(alice).post("/rules/approval/new/", data)
    assert response.status_code == 302
    rule = ApprovalRule.objects.get(name=data["name"])
    assert rule.steps == [
        {"role": "dept_manager", "department": "requester"},
        {"role": "archivist", "department": "any"},
    ]


def test_a_step_nobody_holds_is_refused_on_the_form(alice: Any) -> None:
    data = {
        "name": "财务审批",
        "priority": "15",
        "is_active": "on",
        "step1_role": "finance",
        "step1_department": "any",
    }
    response = login(alice).post("/rules/approval/new/", data)
    assert response.status_code == 200
    assert "没有任何在职人员" in response.content.decode()
    assert not ApprovalRule.objects.filter(name="财务审批").exists()


def test_who_would_approve_on_the_page(alice: Any, carol: Any, dave: Any) -> None:
    query = {
        "kind": "view",
        "confidentiality": "normal",
        "relation": "other",
        "requester_role": "account_manager",
        "requester_department": dave.department_id,
        "customer_department": carol.department_id,
    }
    page = login(alice).get("/rules/approval/", query, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert page.status_code == 200
    assert "其他部门客户" in text
    assert "陈静" in text  # Carol, 销售一部's manager
    assert "<html" not in text  # the fragment only


def test_the_request_page_names_the_rule_version_that_chose_its_chain(
    bob: Any, car_dossier: Any
) -> None:
    import datetime

    from django.utils import timezone

    from dangan.circulation.services import request_create

    request = request_create(
        actor=bob,
        kind="view",
        dossier_id=car_dossier.pk,
        purpose="核对",
        until=timezone.now() + datetime.timedelta(hours=2),
    )
    assert request.rule_version is not None
    page = login(bob).get(f"/circulation/requests/{request.pk}/").content.decode()
    assert f"v{request.rule_version.number}" in page


def test_a_statement_step_for_a_role_that_sees_no_findings_is_refused_on_the_form(
    alice: Any, eve: Any
) -> None:
    data = {
        "name": "情况说明:业务人员审批",
        "priority": "15",
        "is_active": "on",
        "kind": "statement",
        "step1_role": "business_staff",
        "step1_department": "any",
    }
    response = login(alice).post("/rules/approval/new/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "第1步的审批角色“业务人员”不能查看稽核结果和情况说明" in text
    assert "记录不存在" in text
    assert not ApprovalRule.objects.filter(name=data["name"]).exists()


def test_the_sign_offs_escalation_is_set_on_the_rules_page(alice: Any, templates: Any) -> None:
    sale = templates["RE-SALE"]
    client = login(alice)
    page = client.get(f"/rules/archive-types/{sale.pk}/").content.decode()
    assert 'id="confirm"' in page and 'value="48"' in page
    bad = client.post(
        f"/rules/archive-types/{sale.pk}/",
        {"section": "confirm", "confirm-escalate_after_hours": "-3"},
    )
    assert bad.status_code == 200 and "请检查下面标出的内容" in bad.content.decode()
    response = client.post(
        f"/rules/archive-types/{sale.pk}/",
        {"section": "confirm", "confirm-escalate_after_hours": "24"},
    )
    assert response.status_code == 302
    sale.refresh_from_db()
    assert sale.confirm == {"escalate_after_hours": 24}
    assert audit_actions(action="change", object_type="archivetype") == ["change"]
