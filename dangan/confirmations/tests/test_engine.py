"""Sign-offs on the one approval engine (issue 27 §8): they are ApprovalStep rows bound to
the document, decided and escalated like the other subjects' steps. A sign-off pending
longer than the archive type's `confirm.escalate_after_hours` (shipped 48) is passed on by
the worker's escalation run to the next level, whose holders and the office's are told; a
step whose holders cannot see the dossier goes there at once, like a vacant one."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import _user, audit_actions
from dangan.circulation import approvals
from dangan.circulation.models import Notification
from dangan.confirmations import services
from dangan.confirmations.approval import ConfirmationSubject
from dangan.confirmations.tests.test_confirmations import file_piece, row
from dangan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(templates: Any, bob: Any, bobs_customer: Any) -> Any:
    from dangan.archives.services import dossier_create

    fields = {"building": "3", "unit": "1-1203", "payment": "按揭", "contract_date": "2026-03-01"}
    return dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["RE-SALE"], fields=fields
    )


@pytest.fixture
def otto(db: Any) -> Any:
    """A second archivist: the level a stalled sign-off goes to (Alice files)."""
    return _user("otto", "archivist", "档案室", "钱多")


def told(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


def hours_later(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def test_a_sign_off_is_an_engine_step_bound_to_the_piece(sale: Any, alice: Any, carol: Any) -> None:
    flow = file_piece(alice, sale, "FLOW_TRACK")
    (step,) = flow.sign_offs.all()
    assert (step.position, step.role, step.status) == (1, "dept_manager", "pending")
    assert step.department == carol.department and step.opened_at is not None
    assert approvals.subject_of(step).obj == flow
    assert list(approvals.waiting_for(carol, "document")) == [step]
    assert approvals.may_sign(carol, step)
    with pytest.raises(ApplicationError, match="自己归档"):  # the filer, were they to hold it
        alice.roles.add(*carol.roles.all())
        alice.department = carol.department
        alice.save(update_fields=["department"])
        services.document_confirm(
            actor=type(alice).objects.get(pk=alice.pk), confirmation_id=step.pk
        )


def test_a_sign_off_left_too_long_escalates_and_its_signers_are_told(
    sale: Any, alice: Any, carol: Any, otto: Any
) -> None:
    sale.archive_type.confirm = {"escalate_after_hours": 2}
    sale.archive_type.save(update_fields=["confirm"])
    flow = file_piece(alice, sale, "FLOW_TRACK")
    (step,) = flow.sign_offs.all()
    assert approvals.approvals_escalate(now=hours_later(1)) == 0
    assert services.waiting_for(otto).count() == 0

    assert approvals.approvals_escalate(now=hours_later(3)) == 1
    step.refresh_from_db()
    assert (step.status, step.escalated_to, step.escalation) == ("pending", "archivist", "overdue")
    assert any("超时未审批" in text and "档案管理员" in text for text in told(alice))  # the filer
    assert any("待您确认" in text for text in told(otto))  # the level it went to
    assert sum("待您确认" in text for text in told(carol)) == 2  # at filing, and again now
    assert audit_actions(action="escalate", object_type="document") == ["escalate"]
    assert approvals.approvals_escalate(now=hours_later(4)) == 0  # once

    # Both may sign now: the office's holder and the level it was passed to.
    assert list(services.waiting_for(carol)) == [step] == list(services.waiting_for(otto))
    page = Client()
    page.force_login(otto)
    shown = page.get("/confirmations/").content.decode()
    assert "超时未审批" in shown and "已转由 档案管理员 确认" in shown
    listed = APIClient()
    listed.force_authenticate(otto)
    (out,) = listed.get("/api/v1/confirmations/").json()["results"]
    assert (out["id"], out["role"], out["escalated_to"], out["escalation"]) == (
        step.pk,
        "dept_manager",
        "archivist",
        "overdue",
    )
    assert {w["kind"]: w["count"] for w in page.get("/api/v1/home/").json()["work"]}[
        "confirmations"
    ] == 1
    services.document_confirm(actor=otto, confirmation_id=step.pk, note="代为确认")
    assert row(sale, "FLOW_TRACK").present


def test_the_shipped_48_hours_and_0_for_never(sale: Any, alice: Any, carol: Any, otto: Any):
    flow = file_piece(alice, sale, "FLOW_TRACK")
    assert approvals.approvals_escalate(now=hours_later(47)) == 0
    assert approvals.approvals_escalate(now=hours_later(49)) == 1
    assert flow.sign_offs.get().escalation == "overdue"

    sale.archive_type.confirm = {"escalate_after_hours": 0}
    sale.archive_type.save(update_fields=["confirm"])
    receipt = file_piece(alice, sale, "DEPOSIT_RECEIPT")  # finance: nobody holds it here
    (vacant,) = receipt.sign_offs.all()
    assert (vacant.escalated_to, vacant.escalation) == ("archivist", "vacant")  # at once
    second = file_piece(alice, sale, "FLOW_TRACK")
    assert approvals.approvals_escalate(now=hours_later(24 * 30)) == 0  # 0: never late
    assert second.sign_offs.get().escalated_to == ""


def test_a_sign_off_is_reminded_daily_to_its_signers(sale: Any, alice: Any, carol: Any) -> None:
    file_piece(alice, sale, "FLOW_TRACK")
    approvals.approvals_escalate(now=hours_later(25))
    approvals.approvals_escalate(now=hours_later(26))
    assert sum(text.startswith("催办") and "仍待您确认" in text for text in told(carol)) == 1


def test_a_holder_who_cannot_see_the_dossier_is_passed_over(
    sale: Any, alice: Any, carol: Any, otto: Any
) -> None:
    """A 绝密 bag is above a department manager's clearance: the manager would find "no
    such record", so the sign-off goes where someone can open it, as if nobody held it."""
    sale.confidentiality = "top_secret"
    sale.save(update_fields=["confidentiality"])
    flow = file_piece(alice, sale, "FLOW_TRACK")
    (step,) = flow.sign_offs.all()
    assert (step.role, step.escalated_to, step.escalation) == (
        "dept_manager",
        "archivist",
        "vacant",
    )
    subject = ConfirmationSubject(flow)
    assert approvals.approvers_of(step, subject) == [otto]
    assert not any("待您确认" in text for text in told(carol))
    assert list(services.waiting_for(carol)) == []


def test_a_piece_nobody_at_all_can_sign_is_filed_and_passed_on_later(sale: Any, alice: Any) -> None:
    """Filing is never refused for want of a signer: the step waits in its office, and the
    escalation run passes it on once someone can sign it."""
    flow = file_piece(alice, sale, "FLOW_TRACK")
    (step,) = flow.sign_offs.all()
    assert (step.status, step.escalated_to) == ("pending", "")
    assert approvals.approvals_escalate(now=hours_later(1)) == 0
    otto = _user("otto", "archivist", "档案室", "钱多")
    assert approvals.approvals_escalate(now=hours_later(1)) == 1
    step.refresh_from_db()
    assert (step.escalated_to, step.escalation) == ("archivist", "vacant")
    assert list(services.waiting_for(otto)) == [step]


def test_a_voided_piece_no_longer_waits_or_escalates(
    sale: Any, alice: Any, carol: Any, otto: Any
) -> None:
    from dangan.documents.models import Document

    flow = file_piece(alice, sale, "FLOW_TRACK")
    Document.objects.filter(pk=flow.pk).update(state=Document.State.VOID)
    assert list(services.waiting_for(carol)) == []
    assert approvals.approvals_escalate(now=hours_later(100)) == 0


def test_the_steps_of_a_refused_piece_end_there(
    sale: Any, alice: Any, carol: Any, otto: Any
) -> None:
    item = sale.archive_type.items.get(code="FLOW_TRACK")
    item.confirm = [
        {"role": "dept_manager", "department": "customer"},
        {"role": "archivist", "department": "any"},
    ]
    item.save(update_fields=["confirm"])
    flow = file_piece(alice, sale, "FLOW_TRACK")
    first, second = flow.sign_offs.order_by("position")
    assert (first.status, second.status) == ("pending", "waiting")
    with pytest.raises(Exception, match="还没有轮到"):
        services.document_confirm(actor=otto, confirmation_id=second.pk)
    services.document_refuse(actor=carol, confirmation_id=first.pk, note="房号不符")
    second.refresh_from_db()
    assert second.status == "skipped" and services.status_of(second) == "waiting"
    assert row(sale, "FLOW_TRACK").awaiting and not row(sale, "FLOW_TRACK").signing
    assert approvals.approvals_escalate(now=hours_later(100)) == 0
