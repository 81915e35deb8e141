"""Exception statements on the one approval engine (issue 27 §8): the chain is the rule of
kind `statement` (shipped: the finding's department manager, customer service, the
director), the rule's version recorded on the statement; editing the rule changes the
chain of the next statement; a vacant step goes to the archivist at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import _user
from dangan.circulation.models import ApprovalRule, ApprovalStep
from dangan.intake import selectors, services
from dangan.intake.models import ExceptionStatement, Finding

pytestmark = pytest.mark.django_db


def chain(statement: ExceptionStatement) -> list[tuple[str, str, str]]:
    return [
        (s.role, s.status, s.escalated_to)
        for s in ApprovalStep.objects.filter(statement=statement).order_by("position")
    ]


def test_a_statement_is_approved_through_the_engine(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    sue = _user("sue", "customer_service", "客服部", "孙悦")
    boss = _user("gm", "director", "总经办", "周总")
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    rule = ApprovalRule.objects.get(kind="statement")
    assert (statement.rule, statement.rule_version.number) == (rule, 1)  # type: ignore[union-attr]
    assert chain(statement) == [
        ("dept_manager", "pending", ""),
        ("customer_service", "waiting", ""),
        ("director", "waiting", ""),
    ]
    assert ApprovalStep.objects.get(statement=statement, position=1).department == carol.department
    assert selectors.pending_for(carol) == [statement] and selectors.pending_for(sue) == []
    client = Client()
    client.force_login(carol)
    body = client.post(f"/api/v1/statements/{statement.pk}/approve/", {"note": "属实"}).json()
    assert body["current_step"] == 1
    assert [(s["position"], s["role"], s["decision"]) for s in body["steps"]] == [
        (0, "dept_manager", "approved"),
        (1, "customer_service", ""),
        (2, "director", ""),
    ]
    services.statement_approve(actor=sue, statement=statement)
    services.statement_approve(actor=boss, statement=statement)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.EXCEPTED


def test_an_edited_rule_sets_the_next_statements_chain(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    rule = ApprovalRule.objects.get(kind="statement")
    client = Client()
    client.force_login(alice)
    response = client.put(
        f"/api/v1/approval-rules/{rule.pk}/",
        {
            "name": rule.name,
            "kind": "statement",
            "steps": [{"role": "dept_manager", "department": "requester"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    assert chain(statement) == [("dept_manager", "pending", "")]
    assert statement.rule_version is not None
    assert statement.rule_version.number == response.json()["version"]
    services.statement_approve(actor=carol, statement=statement)
    statement.refresh_from_db()
    assert statement.status == ExceptionStatement.Status.APPROVED


def test_a_vacant_step_goes_to_the_archivist_at_once(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    """No customer service and no director: those steps go to the archive room."""
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    assert chain(statement) == [
        ("dept_manager", "pending", ""),
        ("customer_service", "waiting", "archivist"),
        ("director", "waiting", "archivist"),
    ]
    services.statement_approve(actor=carol, statement=statement)
    services.statement_approve(actor=alice, statement=statement)
    services.statement_approve(actor=alice, statement=statement)
    statement.refresh_from_db()
    assert statement.status == ExceptionStatement.Status.APPROVED


def test_a_step_whose_holder_left_goes_on_at_the_next_run(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    from dangan.circulation import approvals

    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    type(carol).objects.filter(pk=carol.pk).update(is_active=False)
    assert approvals.approvals_escalate() == 1  # at once, not after 48 hours
    assert chain(statement)[0] == ("dept_manager", "pending", "archivist")
    assert ApprovalStep.objects.get(statement=statement, position=1).escalation == "vacant"
    services.statement_approve(actor=alice, statement=statement)
    assert chain(statement)[1][1] == "pending"


def test_the_finding_page_shows_the_engines_chain_and_asks_the_signer(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    client = Client()
    client.force_login(carol)
    page = client.get(f"/intake/findings/{finding.pk}/").content.decode()
    assert "部门经理(销售一部)" in page and "待审批" in page
    assert f"/intake/statements/{statement.pk}/approve/" in page
    client.force_login(bob)
    page = client.get(f"/intake/findings/{finding.pk}/").content.decode()
    assert f"/intake/statements/{statement.pk}/approve/" not in page  # his own
    client.force_login(carol)
    response = client.post(f"/intake/statements/{statement.pk}/approve/", {"note": "属实"})
    assert response.status_code == 302
    assert chain(statement)[0][1] == "approved"


def test_a_step_for_a_role_that_cannot_open_the_finding_goes_on_as_if_vacant(
    car_dossier: Any, alice: Any, bob: Any, ada: Any
) -> None:
    """A rule stored before the guard (or written around the services) names the auditor,
    who sees no dossier and so no finding: the engine never hands the statement to her
    (she would get "no such record"); it goes to the archive room, as a vacant step."""
    from dangan.circulation.models import Notification

    rule = ApprovalRule.objects.get(kind="statement")
    rule.steps = [{"role": "auditor", "department": "any"}]
    rule.save(update_fields=["steps"])
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="missing", rule="保单")
    statement = services.statement_submit(actor=bob, finding=finding, text="保险公司未出单")
    assert chain(statement) == [("auditor", "pending", "archivist")]
    step = ApprovalStep.objects.get(statement=statement)
    assert step.escalation == "vacant"
    assert not Notification.objects.filter(user=ada).exists()
    assert selectors.pending_for(alice) == [statement]
    services.statement_approve(actor=alice, statement=statement)
    statement.refresh_from_db()
    assert statement.status == ExceptionStatement.Status.APPROVED
