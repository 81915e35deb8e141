"""The upgrade that moves confirmations onto the one approval engine (circulation 0009, 0010;
confirmations 0003) on a database with sign-offs given, refused and waiting: each
Confirmation row becomes an ApprovalStep bound to its document, keeping position, role,
department, signer, time, note and rules' version; the first open one of a piece is its
turn (pending), those after a refusal are passed over; the old table goes. The moved steps
are then signed, listed and escalated through the engine. Downgrading moves them back."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from conftest import _user
from dangan.circulation.models import ApprovalStep

BEFORE = [("circulation", "0008_change_requests"), ("confirmations", "0002_rule_version")]


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


@pytest.mark.django_db(transaction=True)
def test_sign_offs_keep_their_state_through_the_upgrade(
    templates: Any, alice: Any, bob: Any, carol: Any, bobs_customer: Any
) -> None:
    from dangan.archives.checklist import dossier_checklist
    from dangan.archives.services import dossier_create
    from dangan.circulation import approvals
    from dangan.confirmations import services
    from dangan.confirmations.tests.test_confirmations import file_piece
    from dangan.rules.services import archive_type_version

    otto = _user("otto", "archivist", "档案室", "钱多")
    fiona = _user("fiona", "finance", "财务部", "钱会计")
    fields = {"building": "3", "unit": "1-1203", "payment": "按揭", "contract_date": "2026-03-01"}
    sale = dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["RE-SALE"], fields=fields
    )
    signed = file_piece(alice, sale, "FLOW_TRACK")
    refused = file_piece(alice, sale, "FLOW_TRACK")
    receipt = file_piece(alice, sale, "DEPOSIT_RECEIPT")
    version = archive_type_version(sale.archive_type)
    then = timezone.now() - datetime.timedelta(days=3)

    old = _migrate(BEFORE)
    try:
        confirmations = old.get_model("confirmations", "Confirmation")
        # Downgraded: the engine's sign-offs came back as rows of the old table.
        assert sorted(confirmations.objects.values_list("document_id", "role", "status")) == [
            (signed.pk, "dept_manager", "waiting"),
            (refused.pk, "dept_manager", "waiting"),
            (receipt.pk, "finance", "waiting"),
        ]
        confirmations.objects.all().delete()

        def old_row(document: Any, position: int, role: str, **more: Any) -> None:
            confirmations.objects.create(
                document_id=document.pk,
                position=position,
                role=role,
                rule_version_id=version.pk,
                **more,
            )

        kept = {"by_id": carol.pk, "at": then}
        old_row(signed, 1, "dept_manager", department_id=carol.department_id, status="confirmed",
                note="房号已核对", **kept)  # fmt: skip
        old_row(signed, 2, "archivist")
        old_row(refused, 1, "dept_manager", status="refused", note="房号不符", **kept)
        old_row(refused, 2, "archivist")
        old_row(receipt, 1, "finance")
    finally:
        _migrate(None)

    assert "confirmations_confirmation" not in connection.introspection.table_names()

    def chain(document: Any) -> list[tuple[Any, ...]]:
        return [
            (s.position, s.role, s.status, s.approver_id, s.note, s.rule_version_id)
            for s in ApprovalStep.objects.filter(document=document).order_by("position")
        ]

    assert chain(signed) == [
        (1, "dept_manager", "approved", carol.pk, "房号已核对", version.pk),
        (2, "archivist", "pending", None, "", version.pk),
    ]
    assert chain(refused) == [
        (1, "dept_manager", "denied", carol.pk, "房号不符", version.pk),
        (2, "archivist", "skipped", None, "", version.pk),
    ]
    assert chain(receipt) == [(1, "finance", "pending", None, "", version.pk)]
    first = ApprovalStep.objects.get(document=signed, position=1)
    assert first.decided_at == then and first.department_id == carol.department_id
    turn = ApprovalStep.objects.get(document=signed, position=2)
    assert turn.opened_at is not None and turn.opened_at > then  # the clock starts now

    # The checklist reads them as before: given, refused (the filer's again), waiting.
    rows = {r.item.code: r for r in dossier_checklist(sale).rows}
    assert rows["FLOW_TRACK"].awaiting and rows["DEPOSIT_RECEIPT"].signing

    # Signed through the engine: the archive room's turn, then finance's.
    assert [s.pk for s in services.waiting_for(otto)] == [turn.pk]
    services.document_confirm(actor=otto, confirmation_id=turn.pk)
    assert any(r.present for r in dossier_checklist(sale).rows if r.item.code == "FLOW_TRACK")
    (for_fiona,) = services.waiting_for(fiona)
    assert services.confirmation_out(for_fiona)["status"] == "waiting"

    # And escalated like any step: 48 hours after the upgrade, to the archive room.
    later = timezone.now() + datetime.timedelta(hours=49)
    assert approvals.approvals_escalate(now=later) == 1
    for_fiona.refresh_from_db()
    assert (for_fiona.escalated_to, for_fiona.escalation) == ("archivist", "overdue")
    services.document_confirm(actor=otto, confirmation_id=for_fiona.pk)
    assert all(r.present for r in dossier_checklist(sale).rows if r.item.code == "DEPOSIT_RECEIPT")
