"""Chains never stall (issue 27 §2): a step nobody holds goes to the next level configured
(or the archivist) and the requester is told at once; a step left too long is passed on
by the worker's task; approvers are reminded."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from conftest import audit_actions
from dangan.accounts.models import User
from dangan.circulation import selectors, services, tasks
from dangan.circulation.models import AccessRequest, ApprovalRule, ApprovalStep, Notification
from dangan.circulation.tests.conftest import later
from dangan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def ask(actor: Any, dossier: Any, kind: str = "view") -> AccessRequest:
    return services.request_create(
        actor=actor, kind=kind, dossier_id=dossier.pk, purpose="核对", until=later(days=2)
    )


def chain(request: AccessRequest) -> list[tuple[str, str, str, str]]:
    return [
        (s.role, s.status, s.escalated_to, s.escalation)
        for s in ApprovalStep.objects.filter(request=request).order_by("position")
    ]


def told(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


class TestVacantSteps:
    def page_of(self, user: Any, request: AccessRequest) -> str:
        from django.test import Client

        client = Client()
        client.force_login(user)
        return client.get(f"/circulation/requests/{request.pk}/").content.decode()

    def test_a_step_nobody_holds_goes_to_the_archivist_at_once(
        self, alice: Any, dave: Any, car_dossier: Any
    ):
        """销售一部 has no department manager: Dave's request skips to the archivist's step."""
        request = ask(dave, car_dossier)
        assert chain(request) == [
            ("dept_manager", "skipped", "archivist", "vacant"),
            ("archivist", "pending", "", ""),
        ]
        assert any("无人担任" in text and "档案管理员" in text for text in told(dave))  # at once
        page = self.page_of(alice, request)
        assert "部门经理" in page and "无人担任,已转由 档案管理员 审批" in page
        assert list(selectors.approvals_for(alice)) == [request]
        services.request_approve(actor=alice, request=request)
        request.refresh_from_db()
        assert request.status == "approved"

    def test_the_configured_next_level_signs_in_its_place(
        self, alice: Any, eve: Any, dora: Any, car_dossier: Any
    ):
        """Eve's department request needs her manager; the rule names the director next."""
        rule = ApprovalRule.objects.get(relation="department")
        step = {"role": "dept_manager", "department": "requester", "escalate_to": "director"}
        rule.steps = [step]
        rule.save(update_fields=["steps"])
        request = ask(eve, car_dossier)
        assert chain(request) == [("dept_manager", "pending", "director", "vacant")]
        assert selectors.approvals_count(dora) == 1 == selectors.menu_counts(dora)[0]
        assert selectors.approvals_count(alice) == 0
        assert any("总经理" in text for text in told(eve))  # the role as people know it
        assert any(request.number in text for text in told(dora))
        services.request_approve(actor=dora, request=request)
        request.refresh_from_db()
        assert request.status == "approved"

    def test_a_chain_nobody_could_sign_is_refused(self, dave: Any, car_dossier: Any):
        User.objects.filter(roles__code__in=["archivist", "director"]).update(is_active=False)
        with pytest.raises(ApplicationError) as exc:
            ask(dave, car_dossier)
        assert exc.value.field == "dossier"
        assert AccessRequest.objects.count() == 0


class TestOverdueSteps:
    def test_a_step_left_too_long_is_passed_on_and_everyone_told(
        self, alice: Any, carol: Any, eve: Any, car_dossier: Any
    ):
        request = ask(eve, car_dossier)
        assert chain(request) == [("dept_manager", "pending", "", "")]
        assert services.approvals_escalate() == 0  # not yet
        old = timezone.now() - datetime.timedelta(hours=49)
        ApprovalStep.objects.filter(request=request).update(opened_at=old)
        tasks.escalate_approvals.call()
        assert chain(request) == [("dept_manager", "pending", "archivist", "overdue")]
        assert "escalate" in audit_actions(object_type="accessrequest", object_id=str(request.pk))
        assert any("超时" in text for text in told(eve))
        assert list(selectors.approvals_for(alice)) == [request]
        assert list(selectors.approvals_for(carol)) == [request]  # the manager still may
        assert any("催办" in text for text in told(carol))  # waiting over a day
        assert services.approvals_escalate() == 0  # once only
        reminders = len(told(carol))
        services.approvals_escalate()
        assert len(told(carol)) == reminders  # once a day
        services.request_approve(actor=alice, request=request)
        request.refresh_from_db()
        assert request.status == "approved"

    def test_a_rule_may_never_escalate(self, carol: Any, eve: Any, car_dossier: Any):
        ApprovalRule.objects.update(escalate_after_hours=0)
        request = ask(eve, car_dossier)
        old = timezone.now() - datetime.timedelta(days=10)
        ApprovalStep.objects.filter(request=request).update(opened_at=old)
        assert services.approvals_escalate() == 0
        assert chain(request) == [("dept_manager", "pending", "", "")]
