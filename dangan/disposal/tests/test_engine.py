"""Destruction lists on the one approval engine (issue 27 §8): their chain is the approval
rule of kind `disposal` (shipped: one step, the director), their steps the engine's rows;
editing the rule in the UI or the API changes the chain of the next list; a late step
escalates like a borrowing request's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import _user, audit_actions
from dangan.archives.models import Dossier
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalRule, ApprovalStep, Notification
from dangan.core.errors import Forbidden, InvalidTransition
from dangan.disposal import services
from dangan.disposal.models import DisposalList
from dangan.rules.models import RuleVersion

pytestmark = pytest.mark.django_db


def to_approval(alice: Any, carol: Any, dossier: Dossier) -> DisposalList:
    found = services.list_propose(actor=alice, dossiers=[dossier.pk], reason="期满")
    services.list_appraise(actor=alice, list_id=found.pk, decision="destroy", note="无保存价值")
    services.list_appraise(actor=carol, list_id=found.pk, decision="destroy")
    return DisposalList.objects.get(pk=found.pk)


def chain(found: DisposalList) -> list[tuple[str, str, str]]:
    return [
        (s.role, s.status, s.escalated_to)
        for s in ApprovalStep.objects.filter(disposal_list=found).order_by("position")
    ]


def disposal_rule() -> ApprovalRule:
    return ApprovalRule.objects.get(kind="disposal")


def api(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_list_is_approved_through_the_engine_by_the_shipped_rule(
    closed_car: Dossier, alice: Any, carol: Any, dirk: Any
) -> None:
    found = to_approval(alice, carol, closed_car)
    assert found.status == DisposalList.Status.APPROVAL
    assert chain(found) == [("director", "pending", "")]
    rule = disposal_rule()
    assert (found.rule, found.rule_version) == (
        rule,
        RuleVersion.objects.get(subject="approval_rule", object_id=rule.pk, number=1),
    )
    assert any(
        "销毁清单" in t
        for t in Notification.objects.filter(user=dirk).values_list("text", flat=True)
    )
    assert [s.disposal_list_id for s in approvals.waiting_for(dirk, "disposal_list")] == [found.pk]
    with pytest.raises(Forbidden, match="申报人不能审批"):
        services.list_approve(actor=alice, list_id=found.pk)
    services.list_approve(actor=dirk, list_id=found.pk, note="同意")
    found.refresh_from_db()
    assert found.status == DisposalList.Status.HOLD
    assert chain(found) == [("director", "approved", "")]
    assert ApprovalStep.objects.get(disposal_list=found).approver == dirk
    assert audit_actions(action="disposal_approve", outcome="success") == ["disposal_approve"]


def test_a_rule_edited_through_the_api_sets_the_next_lists_chain(
    closed_car: Dossier, alice: Any, carol: Any, dirk: Any, ada: Any
) -> None:
    rule = disposal_rule()
    body = {
        "name": rule.name,
        "kind": "disposal",
        "steps": [{"role": "auditor", "department": "any"}, {"role": "director"}],
        "escalate_after_hours": 24,
    }
    response = api(alice).put(
        f"/api/v1/approval-rules/{rule.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    version = response.json()["version"]
    found = to_approval(alice, carol, closed_car)
    assert chain(found) == [("auditor", "pending", ""), ("director", "waiting", "")]
    assert found.rule_version is not None and found.rule_version.number == version
    assert found.rule_version.snapshot["steps"][0]["role"] == "auditor"
    with pytest.raises(InvalidTransition, match="尚未轮到您审批"):
        services.list_approve(actor=dirk, list_id=found.pk)
    url = f"/api/v1/disposal-lists/{found.pk}/"
    assert api(ada).post(url + "approve/", {"note": "核"}).json()["status"] == "approval"
    done = api(dirk).post(url + "approve/", {"note": "同意"}).json()
    assert done["status"] == "hold"
    assert [(s["position"], s["role"], s["status"]) for s in done["steps"]] == [
        (1, "auditor", "approved"),
        (2, "director", "approved"),
    ]


def test_a_rule_edited_on_the_rules_page_sets_the_next_lists_chain(
    closed_car: Dossier, alice: Any, carol: Any, dirk: Any
) -> None:
    rule = disposal_rule()
    response = api(alice).post(
        f"/rules/approval/{rule.pk}/",
        {
            "name": rule.name,
            "priority": 100,
            "is_active": "on",
            "kind": "disposal",
            "step1_role": "dept_manager",
            "step1_department": "any",
            "step2_role": "director",
            "step2_department": "any",
            "escalate_after_hours": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()
    found = to_approval(alice, carol, closed_car)
    assert chain(found) == [("dept_manager", "pending", ""), ("director", "waiting", "")]
    services.list_deny(actor=carol, list_id=found.pk, note="尚有纠纷")
    found.refresh_from_db()
    assert found.status == DisposalList.Status.DENIED
    assert chain(found) == [("dept_manager", "denied", ""), ("director", "skipped", "")]


def test_a_chain_without_an_approver_is_refused_naming_the_field(alice: Any) -> None:
    rule = disposal_rule()
    url = f"/api/v1/approval-rules/{rule.pk}/"
    for body, field in (
        ({"name": "x", "kind": "disposal", "steps": []}, "steps"),
        ({"name": "x", "kind": "disposal", "steps": [{"role": "finance"}]}, "steps"),
        (
            {"name": "x", "kind": "disposal", "relation": "own", "steps": [{"role": "director"}]},
            "relation",
        ),
    ):
        if body["steps"] and body["steps"][0]["role"] == "director":
            _user("gm", "director", "总经办", "周总")
        response = api(alice).put(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert field in response.json(), response.json()
    rule.refresh_from_db()
    assert rule.steps == [{"role": "director", "department": "any"}]  # nothing saved
    response = api(alice).delete(url)
    assert response.status_code == 400  # the only rule of its kind stays


def test_the_preview_answers_who_approves_a_list(alice: Any, dirk: Any) -> None:
    response = api(alice).get(
        "/api/v1/approval-rules/preview/", {"kind": "disposal", "requester_role": "archivist"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rule"]["id"] == disposal_rule().pk
    assert [[a["username"] for a in s["approvers"]] for s in body["steps"]] == [["dirk"]]


def test_a_late_step_escalates_and_the_director_is_reminded(
    closed_car: Dossier, alice: Any, carol: Any, dirk: Any
) -> None:
    otto = _user("otto", "archivist", "档案室", "钱多")
    ApprovalRule.objects.filter(kind="disposal").update(escalate_after_hours=48)
    found = to_approval(alice, carol, closed_car)
    assert approvals.approvals_escalate(now=timezone.now()) == 0  # not late yet
    later = timezone.now() + datetime.timedelta(hours=49)
    assert approvals.approvals_escalate(now=later) == 1
    assert chain(found) == [("director", "pending", "archivist")]  # the proposer aside: otto
    assert audit_actions(action="escalate") == ["escalate"]
    assert any(
        "已转由" in t
        for t in Notification.objects.filter(user=alice).values_list("text", flat=True)
    )
    assert any(
        "催办" in t for t in Notification.objects.filter(user=dirk).values_list("text", flat=True)
    )
    assert approvals.approvals_escalate(now=later) == 0  # once
    with pytest.raises(Forbidden):
        services.list_approve(actor=alice, list_id=found.pk)  # passed to archivists, not her
    services.list_approve(actor=otto, list_id=found.pk, note="总经理出差,代批")
    found.refresh_from_db()
    assert found.status == DisposalList.Status.HOLD


def test_the_rules_page_previews_who_approves_a_list(alice: Any, dirk: Any) -> None:
    page = api(alice).get(
        "/rules/approval/",
        {
            "kind": "disposal",
            "confidentiality": "normal",
            "relation": "other",
            "requester_role": "archivist",
        },
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert disposal_rule().name in text and "赵总" in text
