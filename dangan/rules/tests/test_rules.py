"""Rules kept by the company (issue 27 §5): one schema, edited through services and the
API, audited and versioned, with the version in force on what it decided."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import audit_actions, ensure_default_roles
from dangan.circulation.models import AccessRequest, ApprovalRule
from dangan.core.errors import ApplicationError, Forbidden, ValidationFailed
from dangan.rules import schema, services
from dangan.rules.models import RuleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults(db: Any) -> None:
    ensure_default_roles()


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def car_shape(alice: Any, templates: Any) -> dict[str, Any]:
    body = api(alice).get(f"/api/v1/archive-types/{templates['CAR-SALE'].pk}/").json()
    assert body["version"] >= 1
    return dict(body)


# --- the schema ------------------------------------------------------------------------


def test_it_refuses_an_unknown_deadline_kind_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        schema.archive_type_rules(
            {
                "name": "测试",
                "numbering": "{code}-{seq:4}",
                "retention": "D10",
                "checklist": [{"code": "A", "name": "甲"}],
                "deadline": {"kind": "fortnightly"},
            }
        )
    assert set(caught.value.errors) == {"deadline"}
    assert "fortnightly" in str(caught.value.errors["deadline"])


def test_it_refuses_a_negative_penalty() -> None:
    with pytest.raises(ApplicationError, match="不能为负数") as caught:
        schema.parse_penalties([{"finding": "late", "amount": "-50"}])
    assert caught.value.field == "penalties"


def test_it_reads_every_shipped_template(templates: Any) -> None:
    for archive_type in templates.values():
        rules = schema.archive_type_rules(services.archive_type_snapshot(archive_type))
        assert rules.columns()["deadline"] == archive_type.deadline


def test_the_snapshot_and_the_api_carry_every_rule_the_schema_stores(
    alice: Any, templates: Any
) -> None:
    """TYPE_COLUMNS and ITEM_COLUMNS name, once, what the snapshot (versions, the rules
    page) and GET /archive-types/{id}/ carry: a rule the schema stores but they left out
    would be reset by the next save of what they show."""
    archive_type = templates["CAR-SALE"]
    rules = schema.archive_type_rules(services.archive_type_snapshot(archive_type))
    assert tuple(rules.columns()) == schema.TYPE_COLUMNS
    assert tuple(rules.checklist[0].stored()) == schema.ITEM_COLUMNS
    body = car_shape(alice, templates)
    assert set(body) == {"id", "code", *schema.TYPE_COLUMNS, "checklist", "disposal", "version"}
    assert set(body["checklist"][0]) == {"id", "code", "position", *schema.ITEM_COLUMNS}


def test_the_evaluator_shows_an_unknown_stored_kind_instead_of_no_deadline(
    car_dossier: Any,
) -> None:
    from dangan.archives.models import ArchiveType
    from dangan.intake.deadlines import RULE_INVALID, dossier_deadline

    # Written around the services (an old row, a hand edit): never "no deadline".
    ArchiveType.objects.filter(pk=car_dossier.archive_type_id).update(
        deadline={"kind": "fortnightly"}
    )
    car_dossier.archive_type.refresh_from_db()
    result = dossier_deadline(car_dossier)
    assert result.state == RULE_INVALID
    assert "fortnightly" in result.note


# --- archive types through the API -----------------------------------------------------------


def test_the_archivist_changes_a_penalty_and_a_new_version_is_recorded(
    alice: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    shape = car_shape(alice, templates)
    before = shape["version"]
    shape["penalties"][0]["amount"] = "80.00"
    response = api(alice).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["penalties"][0]["amount"] == "80.00"
    assert response.json()["version"] == before + 1
    car.refresh_from_db()
    assert car.penalties[0]["amount"] == "80.00"
    version = RuleVersion.objects.get(subject="archive_type", object_id=car.pk, number=before + 1)
    assert version.sections == ["penalties"]
    assert version.actor == alice
    assert audit_actions(action="change", object_type="archivetype") == ["change"]
    history = api(alice).get(f"/api/v1/archive-types/{car.pk}/versions/").json()
    assert [v["number"] for v in history][:2] == [before + 1, before]


def test_put_accepts_what_get_answers_unchanged(alice: Any, templates: Any) -> None:
    car = templates["CAR-SALE"]
    shape = car_shape(alice, templates)
    response = api(alice).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == shape["version"]  # nothing changed, no version


@pytest.mark.parametrize(
    ("section", "change", "words"),
    [
        ("deadline", {"kind": "fortnightly", "field": "delivery_date"}, "fortnightly"),
        ("penalties", [{"finding": "late", "amount": "-50"}], "不能为负数"),
        ("consistency", [{"field": "vin", "documents": ["NO_SUCH_DOC"]}], "NO_SUCH_DOC"),
        ("numbering", "{year}", "流水号"),
        ("retention", "forever", "保管期限"),
        ("disposal", {"trigger": "closed", "hold_months": 0}, "保留期"),
    ],
)
def test_a_bad_section_is_a_400_naming_it_and_nothing_is_saved(
    alice: Any, templates: Any, section: str, change: Any, words: str
) -> None:
    car = templates["CAR-SERVICE"]
    shape = api(alice).get(f"/api/v1/archive-types/{car.pk}/").json()
    before = copy.deepcopy(shape)
    shape["name"] = "改过的名称"  # a good change beside the bad one: not saved either
    shape[section] = change
    response = api(alice).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json")
    assert response.status_code == 400
    assert section in response.json(), response.json()
    assert words in response.json()[section][0]
    assert api(alice).get(f"/api/v1/archive-types/{car.pk}/").json() == before
    assert audit_actions(action="change", object_type="archivetype") == []


def test_the_checklist_is_reordered_added_to_and_an_unused_item_removed(
    alice: Any, templates: Any
) -> None:
    hotel = templates["HOTEL-GUEST"]
    shape = api(alice).get(f"/api/v1/archive-types/{hotel.pk}/").json()
    items = shape["checklist"]
    first, second = items[0], items[1]
    shape["checklist"] = [second, first, *items[3:], {"code": "NEW_ONE", "name": "新增文件"}]
    response = api(alice).put(f"/api/v1/archive-types/{hotel.pk}/", shape, format="json")
    assert response.status_code == 200, response.json()
    codes = [item["code"] for item in response.json()["checklist"]]
    assert codes[:2] == [second["code"], first["code"]]
    assert codes[-1] == "NEW_ONE"
    assert items[2]["code"] not in codes


def test_an_item_with_filed_documents_cannot_be_removed(
    alice: Any, car_dossier: Any, pdf_bytes: bytes
) -> None:
    from dangan.documents.services import document_add

    compared = {c for rule in car_dossier.archive_type.consistency for c in rule["documents"]}
    item = car_dossier.archive_type.items.exclude(code__in=compared).first()
    document_add(
        actor=alice,
        dossier=car_dossier,
        checklist_item=item,
        file_name="a.pdf",
        file_chunks=[pdf_bytes],
    )
    shape = api(alice).get(f"/api/v1/archive-types/{car_dossier.archive_type_id}/").json()
    shape["checklist"] = [i for i in shape["checklist"] if i["code"] != item.code]
    response = api(alice).put(
        f"/api/v1/archive-types/{car_dossier.archive_type_id}/", shape, format="json"
    )
    assert response.status_code == 400
    assert item.name in response.json()["checklist"][0]
    assert car_dossier.archive_type.items.filter(pk=item.pk).exists()


def test_the_code_cannot_change_and_an_account_manager_may_not_edit(
    alice: Any, bob: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    shape = car_shape(alice, templates)
    assert api(bob).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json").status_code == 403
    shape["code"] = "OTHER"  # read-only: ignored
    assert (
        api(alice).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json").status_code == 200
    )
    car.refresh_from_db()
    assert car.code == "CAR-SALE"


def test_the_version_in_force_is_recorded_on_a_finding(alice: Any, car_dossier: Any) -> None:
    from dangan.intake.services import dossier_audit

    findings = dossier_audit(actor=alice, dossier=car_dossier)
    assert findings
    version = services.archive_type_version(car_dossier.archive_type)
    assert {f.rule_version_id for f in findings} == {version.pk}


def test_the_archivist_holds_archive_type_manage_by_default(alice: Any, sam: Any) -> None:
    from dangan.accounts import permissions as perms
    from dangan.accounts import policy

    assert policy.has_perm(alice, perms.ARCHIVE_TYPE_MANAGE)
    assert policy.has_perm(sam, perms.ARCHIVE_TYPE_MANAGE)


# --- approval rules ---------------------------------------------------------------------


def test_an_approval_rule_is_created_changed_and_deleted_with_versions(
    alice: Any, carol: Any
) -> None:
    client = api(alice)
    body = {
        "name": "复制档案:部门经理审批",
        "priority": 5,
        "kind": "copy",
        "steps": [{"role": "dept_manager", "department": "requester"}],
    }
    created = client.post("/api/v1/approval-rules/", body, format="json")
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    assert created.json()["version"] == 1
    shape = client.get(f"/api/v1/approval-rules/{rule_id}/").json()
    shape["steps"].append({"role": "archivist", "department": "any"})
    changed = client.put(f"/api/v1/approval-rules/{rule_id}/", shape, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["version"] == 2
    assert client.delete(f"/api/v1/approval-rules/{rule_id}/").status_code == 204
    assert not ApprovalRule.objects.filter(pk=rule_id).exists()
    versions = client.get(f"/api/v1/approval-rules/{rule_id}/versions/").json()
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[0]["snapshot"]["deleted"] is True
    assert audit_actions(object_type="approvalrule") == ["create", "change", "delete"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "无人审批", "steps": [{"role": "finance", "department": "any"}]}, "steps"),
        ({"name": "未知角色", "steps": [{"role": "boss", "department": "any"}]}, "steps"),
        ({"name": "坏部门", "steps": [{"role": "archivist", "department": "east"}]}, "steps"),
        ({"name": "坏类型", "kind": "lend"}, "kind"),
        ({"name": "", "kind": "view"}, "name"),
        ({"name": "坏密级", "confidentiality": "public"}, "confidentiality"),
    ],
)
def test_a_bad_approval_rule_is_refused_naming_the_field(
    alice: Any, body: dict[str, Any], field: str
) -> None:
    count = ApprovalRule.objects.count()
    response = api(alice).post("/api/v1/approval-rules/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert ApprovalRule.objects.count() == count
    assert not RuleVersion.objects.filter(subject="approval_rule").exists()


def test_a_chain_with_no_approver_names_the_step(alice: Any) -> None:
    # Nobody holds the finance role in this test: the chain would wait for ever.
    response = api(alice).post(
        "/api/v1/approval-rules/",
        {"name": "财务审批", "steps": [{"role": "finance", "department": "any"}]},
        format="json",
    )
    assert "没有任何在职人员" in response.json()["steps"][0]


def test_only_the_rule_keepers_edit_approval_rules(bob: Any, carol: Any, sam: Any) -> None:
    body = {"name": "x", "steps": []}
    assert api(bob).get("/api/v1/approval-rules/").status_code == 403
    assert api(carol).post("/api/v1/approval-rules/", body, format="json").status_code == 403
    assert api(sam).post("/api/v1/approval-rules/", body, format="json").status_code == 201
    with pytest.raises(Forbidden):
        services.approval_rule_create(actor=bob, data=body)


def test_who_would_approve_a_request_across_departments(alice: Any, carol: Any, dave: Any) -> None:
    response = api(alice).get(
        "/api/v1/approval-rules/preview/",
        {
            "kind": "view",
            "confidentiality": "normal",
            "relation": "other",
            "requester_role": "account_manager",
            "requester_department": dave.department_id,
            "customer_department": carol.department_id,
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["rule"]["name"].startswith("其他部门客户")
    assert [s["role"] for s in body["steps"]] == ["dept_manager", "archivist"]
    assert [a["username"] for a in body["steps"][0]["approvers"]] == ["carol"]
    assert "alice" in [a["username"] for a in body["steps"][1]["approvers"]]
    assert body["stalls"] is False


def test_the_preview_tells_when_a_step_has_nobody(alice: Any, dave: Any) -> None:
    body = (
        api(alice)
        .get(
            "/api/v1/approval-rules/preview/",
            {
                "kind": "view",
                "confidentiality": "normal",
                "relation": "department",
                "requester_role": "account_manager",
                "requester_department": dave.department_id,
            },
        )
        .json()
    )
    assert body["steps"][0]["approvers"] == []  # 销售二部 has no manager here
    assert body["stalls"] is True


def test_the_version_in_force_is_recorded_on_an_access_request(bob: Any, car_dossier: Any) -> None:
    from dangan.circulation.services import request_create

    request = request_create(
        actor=bob,
        kind="view",
        dossier_id=car_dossier.pk,
        purpose="核对",
        until=timezone.now() + datetime.timedelta(hours=2),
    )
    assert request.rule is not None
    assert request.rule_version is not None
    assert request.rule_version.number == services.approval_rule_version(request.rule).number
    assert AccessRequest.objects.get(pk=request.pk).rule_version_id == request.rule_version_id


def test_a_step_may_name_where_it_goes_when_nobody_holds_it() -> None:
    (step,) = schema.parse_steps(
        [{"role": "dept_manager", "department": "customer", "escalate_to": "director"}],
        roles={"dept_manager", "director"},
    )
    assert step.stored() == {
        "role": "dept_manager",
        "department": "customer",
        "escalate_to": "director",
    }
    with pytest.raises(ApplicationError, match="boss"):
        schema.parse_steps(
            [{"role": "dept_manager", "escalate_to": "boss"}], roles={"dept_manager"}
        )


def test_the_desk_approval_and_escalation_hours_are_part_of_a_rule(alice: Any, carol: Any) -> None:
    client = api(alice)
    created = client.post(
        "/api/v1/approval-rules/",
        {
            "name": "借阅:档案室当场审批",
            "kind": "borrow",
            "desk_approval": True,
            "escalate_after_hours": 24,
            "steps": [
                {"role": "dept_manager", "department": "customer", "escalate_to": "archivist"}
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["desk_approval"] is True
    assert body["escalate_after_hours"] == 24
    assert body["steps"][0]["escalate_to"] == "archivist"
    bad = client.put(
        f"/api/v1/approval-rules/{body['id']}/", {**body, "escalate_after_hours": -1}, format="json"
    )
    assert bad.status_code == 400
    assert "escalate_after_hours" in bad.json()


# --- who can open what a chain decides (issue 27 §8) ------------------------------------


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ({"role": "business_staff", "department": "any"}, "第1步的审批角色“业务人员”不能查看"),
        (
            {"role": "dept_manager", "department": "requester", "escalate_to": "auditor"},
            "第1步无人时转交的角色“审计员”不能查看",
        ),
    ],
)
def test_a_statement_rule_naming_a_role_that_sees_no_findings_is_refused(
    alice: Any, eve: Any, step: dict[str, str], words: str
) -> None:
    """Business staff and auditors see no dossiers, so no finding and no statement: a step
    of theirs would end in "no such record". Refused, the step's role named, nothing saved."""
    count = ApprovalRule.objects.count()
    body = {"name": "情况说明:业务人员审批", "kind": "statement", "steps": [step]}
    response = api(alice).post("/api/v1/approval-rules/", body, format="json")
    assert response.status_code == 400
    message = response.json()["steps"][0]
    assert words in message and "稽核结果和情况说明" in message and "查看档案" in message
    assert ApprovalRule.objects.count() == count
    rule = ApprovalRule.objects.get(kind="statement")
    shape = api(alice).get(f"/api/v1/approval-rules/{rule.pk}/").json()
    shape["steps"] = [step]
    changed = api(alice).put(f"/api/v1/approval-rules/{rule.pk}/", shape, format="json")
    assert changed.status_code == 400 and words in changed.json()["steps"][0]
    rule.refresh_from_db()
    assert rule.steps != [step]


def test_a_checklist_item_signed_off_by_a_role_that_sees_no_dossiers_is_refused(
    alice: Any, templates: Any
) -> None:
    """A sign-off (文件确认) is a step of the same engine: its roles must see the dossier,
    checked when the type is saved as an approval rule's steps are."""
    car = templates["CAR-SALE"]
    shape = api(alice).get(f"/api/v1/archive-types/{car.pk}/").json()
    before = shape["checklist"][0].get("confirm")
    shape["checklist"][0]["confirm"] = [{"role": "business_staff", "department": "any"}]
    response = api(alice).put(f"/api/v1/archive-types/{car.pk}/", shape, format="json")
    assert response.status_code == 400
    message = response.json()["checklist"][0]
    name = shape["checklist"][0]["name"]
    assert f"清单项“{name}”的确认:第1步的审批角色“业务人员”不能查看" in message
    assert "档案及其文件" in message
    after = api(alice).get(f"/api/v1/archive-types/{car.pk}/").json()["checklist"][0]
    assert after.get("confirm") == before


def test_a_borrowing_rule_may_name_any_role_that_someone_holds(alice: Any, eve: Any) -> None:
    """An access request's approvers need no permission to open it (its page shows them
    what they decide): the guard is the subject's, not every rule's."""
    body = {"name": "查阅:业务人员审批", "kind": "view", "steps": [{"role": "business_staff"}]}
    assert api(alice).post("/api/v1/approval-rules/", body, format="json").status_code == 201


# --- sign-offs' escalation is part of an archive type's rules ----------------------------


def test_a_types_sign_offs_escalate_after_48_hours_unless_changed(
    alice: Any, templates: Any
) -> None:
    sale = templates["RE-SALE"]
    shape = api(alice).get(f"/api/v1/archive-types/{sale.pk}/").json()
    assert shape["confirm"] == {"escalate_after_hours": 48}
    assert schema.parse_confirm({}) == schema.ConfirmSpec(escalate_after_hours=48)
    shape["confirm"] = {"escalate_after_hours": 8}
    response = api(alice).put(f"/api/v1/archive-types/{sale.pk}/", shape, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["confirm"] == {"escalate_after_hours": 8}
    version = RuleVersion.objects.filter(subject="archive_type", object_id=sale.pk).latest("number")
    assert version.sections == ["confirm"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"escalate_after_hours": -1}, "之间"),
        ({"escalate_after_hours": "soon"}, "整数"),
        ({"escalate_after_hours": 48, "remind": True}, "remind"),
        ([48], "格式不正确"),
    ],
)
def test_a_bad_sign_off_setting_is_a_400_naming_confirm(
    alice: Any, templates: Any, value: Any, words: str
) -> None:
    sale = templates["RE-SALE"]
    shape = api(alice).get(f"/api/v1/archive-types/{sale.pk}/").json()
    shape["confirm"] = value
    response = api(alice).put(f"/api/v1/archive-types/{sale.pk}/", shape, format="json")
    assert response.status_code == 400
    assert words in response.json()["confirm"][0], response.json()
    sale.refresh_from_db()
    assert sale.confirm == {"escalate_after_hours": 48}
