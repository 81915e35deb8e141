"""The upgrade to the one approval engine (circulation 0006, disposal 0005, intake 0006) on
a database with a destruction list and an exception statement half-way through their old
chains: the steps move to circulation.ApprovalStep keeping their state, the disposal
chain configured as ApprovalStepRule rows becomes an ApprovalRule of kind `disposal`, and
both subjects are then decided through the engine."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from conftest import _user
from dangan.circulation.models import ApprovalRule, ApprovalStep

BEFORE = [
    ("circulation", "0005_accessrequest_rule_version"),
    ("disposal", "0004_document_items"),
    ("intake", "0005_finding_rule_version"),
]


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


@pytest.mark.django_db(transaction=True)
def test_in_flight_chains_keep_their_state_through_the_upgrade(
    car_dossier: Any, alice: Any, bob: Any, carol: Any
) -> None:
    from dangan.disposal import services as disposal
    from dangan.disposal.models import DisposalList
    from dangan.intake import services as intake
    from dangan.intake.models import ExceptionStatement

    dirk = _user("dirk", "director", "总经办", "赵总")
    sue = _user("sue", "customer_service", "客服部", "孙悦")
    finding = intake.finding_record(
        actor=alice, dossier=car_dossier, kind="missing", rule="行驶证复印件"
    )
    old = _migrate(BEFORE)
    try:
        old.get_model("circulation", "ApprovalRule").objects.filter(
            kind__in=["disposal", "statement"]
        ).delete()
        old_rule = old.get_model("disposal", "ApprovalStepRule")
        old_rule.objects.all().delete()
        old_rule.objects.create(position=1, role="dept_manager")
        old_rule.objects.create(position=2, role="director")
        lists = old.get_model("disposal", "DisposalList")
        steps = old.get_model("disposal", "ApprovalStep")
        now = timezone.now()
        waiting = lists.objects.create(
            number="XH-2026-0901", status="approval", proposer_id=alice.pk
        )
        steps.objects.create(
            disposal_list=waiting,
            position=1,
            role="dept_manager",
            status="approved",
            approver_id=carol.pk,
            note="同意",
            decided_at=now,
        )
        steps.objects.create(disposal_list=waiting, position=2, role="director")
        denied = lists.objects.create(number="XH-2026-0902", status="denied", proposer_id=alice.pk)
        steps.objects.create(
            disposal_list=denied,
            position=1,
            role="dept_manager",
            status="denied",
            approver_id=carol.pk,
        )
        steps.objects.create(disposal_list=denied, position=2, role="director")
        statement = old.get_model("intake", "ExceptionStatement").objects.create(
            finding_id=finding.pk,
            text="车管所延迟出证",
            status="pending",
            current_step=1,
            submitted_by_id=bob.pk,
            submitted_at=now,
        )
        signatures = old.get_model("intake", "StatementStep")
        signatures.objects.create(
            statement=statement,
            position=0,
            role_code="dept_manager",
            department_id=carol.department_id,
            label="部门经理确认情况属实",
            decision="approved",
            decided_by_id=carol.pk,
            decided_at=now,
        )
        signatures.objects.create(
            statement=statement, position=1, role_code="customer_service", label="客服经理签字"
        )
        signatures.objects.create(
            statement=statement, position=2, role_code="director", label="总经理签字"
        )
    finally:
        _migrate(None)

    rule = ApprovalRule.objects.get(kind="disposal")
    assert rule.steps == [
        {"role": "dept_manager", "department": "any"},
        {"role": "director", "department": "any"},
    ]
    assert ApprovalRule.objects.filter(kind="statement").count() == 1

    def chain(**subject: Any) -> list[tuple[int, str, str, Any]]:
        return [
            (s.position, s.role, s.status, s.approver_id)
            for s in ApprovalStep.objects.filter(**subject).order_by("position")
        ]

    in_flight = DisposalList.objects.get(number="XH-2026-0901")
    assert in_flight.rule == rule
    assert chain(disposal_list=in_flight) == [
        (1, "dept_manager", "approved", carol.pk),
        (2, "director", "pending", None),
    ]
    gone = DisposalList.objects.get(number="XH-2026-0902")
    assert chain(disposal_list=gone) == [
        (1, "dept_manager", "denied", carol.pk),
        (2, "director", "skipped", None),
    ]
    moved = ExceptionStatement.objects.get(finding=finding)
    assert chain(statement=moved) == [
        (1, "dept_manager", "approved", carol.pk),
        (2, "customer_service", "pending", None),
        (3, "director", "waiting", None),
    ]
    assert moved.current_step == 1  # the API's 0-based index, as before

    disposal.list_approve(actor=dirk, list_id=in_flight.pk, note="同意")
    in_flight.refresh_from_db()
    assert in_flight.status == DisposalList.Status.HOLD
    intake.statement_approve(actor=sue, statement=moved)
    intake.statement_approve(actor=dirk, statement=moved)
    moved.refresh_from_db()
    assert moved.status == ExceptionStatement.Status.APPROVED
