"""Sign-offs before a piece counts (issue 27 §6): the real-estate flow sheet waits for the
customer's department manager (销售经理房号确认), the deposit receipt for finance (财务收款
确认); the queue, confirming in turn, sending back with a reason, the API; bad input
changes nothing and is on the record."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from conftest import PDF_BYTES, _user
from dangan.archives.checklist import dossier_checklist
from dangan.archives.services import dossier_create
from dangan.audit.models import AuditEntry
from dangan.circulation.models import ApprovalStep, Notification
from dangan.confirmations import services
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.documents.services import document_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiona(db: Any) -> Any:
    return _user("fiona", "finance", "财务部", "钱会计")


@pytest.fixture
def sale(templates: Any, bob: Any, bobs_customer: Any) -> Any:
    fields = {"building": "3", "unit": "1-1203", "payment": "按揭", "contract_date": "2026-03-01"}
    return dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["RE-SALE"], fields=fields
    )


def file_piece(actor: Any, dossier: Any, code: str) -> Any:
    item = dossier.archive_type.items.get(code=code)
    return document_add(
        actor=actor,
        dossier=dossier,
        checklist_item=item,
        file_name=f"{code}.pdf",
        file_chunks=[PDF_BYTES],
    )


def row(dossier: Any, code: str) -> Any:
    return next(r for r in dossier_checklist(dossier).rows if r.item.code == code)


def test_a_piece_counts_once_its_signers_confirm(
    sale: Any, alice: Any, bob: Any, carol: Any, dave: Any, fiona: Any
) -> None:
    flow = file_piece(alice, sale, "FLOW_TRACK")
    receipt = file_piece(alice, sale, "DEPOSIT_RECEIPT")
    assert row(sale, "FLOW_TRACK").awaiting and not row(sale, "FLOW_TRACK").present
    (for_carol,) = services.waiting_for(carol)
    assert for_carol.document == flow and for_carol.department == bobs_department(bob)
    assert list(services.waiting_for(dave)) == []  # a manager of another department? no role
    assert [c.document for c in services.waiting_for(fiona)] == [receipt]
    assert Notification.objects.filter(user=carol, text__contains="待您确认").exists()

    services.document_confirm(actor=carol, confirmation_id=for_carol.pk, note="房号已核对")
    assert row(sale, "FLOW_TRACK").present
    assert AuditEntry.objects.filter(action="document_confirm", outcome="success").exists()

    (for_fiona,) = services.waiting_for(fiona)
    services.document_refuse(actor=fiona, confirmation_id=for_fiona.pk, note="未见到账记录")
    assert row(sale, "DEPOSIT_RECEIPT").awaiting
    assert Notification.objects.filter(user=alice, text__contains="未见到账记录").exists()


def bobs_department(bob: Any) -> Any:
    return bob.department


def test_bad_sign_offs_change_nothing(
    sale: Any, alice: Any, bob: Any, carol: Any, fiona: Any
) -> None:
    flow = file_piece(alice, sale, "FLOW_TRACK")
    step = ApprovalStep.objects.get(document=flow)
    with pytest.raises(ApplicationError, match="确认人"):
        services.document_confirm(actor=fiona, confirmation_id=step.pk)
    with pytest.raises(NotFound):
        services.document_confirm(actor=carol, confirmation_id=99999)
    with pytest.raises(ApplicationError) as caught:
        services.document_refuse(actor=carol, confirmation_id=step.pk, note=" ")
    assert caught.value.field == "note"
    step.refresh_from_db()
    assert services.status_of(step) == "waiting"
    services.document_confirm(actor=carol, confirmation_id=step.pk)
    with pytest.raises(InvalidTransition):
        services.document_confirm(actor=carol, confirmation_id=step.pk)
    assert AuditEntry.objects.filter(action="document_confirm", outcome="failed").exists()


def test_the_queue_through_the_page_and_the_api(
    sale: Any, alice: Any, carol: Any, fiona: Any
) -> None:
    file_piece(alice, sale, "FLOW_TRACK")
    page = Client()
    page.force_login(carol)
    shown = page.get("/confirmations/").content.decode()
    assert sale.archive_number in shown and "流程跟踪单" in shown
    step = ApprovalStep.objects.get(document__isnull=False)
    refused = page.post(f"/confirmations/{step.pk}/", {"refuse": "1", "note": ""}, follow=True)
    assert "退回须说明原因" in refused.content.decode()
    home = {w["kind"]: w["count"] for w in page.get("/api/v1/home/").json()["work"]}
    assert home["confirmations"] == 1

    api = APIClient()
    api.force_authenticate(carol)
    listed = api.get("/api/v1/confirmations/").json()["results"]
    assert [c["id"] for c in listed] == [step.pk] and listed[0]["role"] == "dept_manager"
    assert APIClient().post(f"/api/v1/confirmations/{step.pk}/confirm/").status_code in (401, 403)
    api_fiona = APIClient()
    api_fiona.force_authenticate(fiona)
    wrong = api_fiona.post(f"/api/v1/confirmations/{step.pk}/confirm/", {}, format="json")
    assert wrong.status_code == 400 and "status" in wrong.json()
    done = api.post(f"/api/v1/confirmations/{step.pk}/confirm/", {"note": "好"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    dossier_page = page.get(f"/dossiers/{sale.pk}/").content.decode()
    assert "待确认" not in dossier_page.split('data-item="FLOW_TRACK"')[1].split("</tr>")[0]


def test_a_template_refuses_a_confirmation_without_a_role() -> None:
    import copy

    import yaml

    from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

    data = yaml.safe_load((SEED_DIR / "01_real_estate_sales.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    item = next(i for i in broken["checklist"] if i["code"] == "FLOW_TRACK")
    item["confirm"] = [{"department": "customer"}]
    with pytest.raises(TemplateError, match="“流程跟踪单”的确认步骤无效"):
        validate_template(broken, "sale")


def test_a_step_nobody_could_sign_goes_where_someone_can(sale: Any, alice: Any) -> None:
    """The flow sheet asks the customer's department manager; with none, the archive room
    signs (the engine's next level), so the piece never stalls; the filer is told."""
    anna = _user("anna", "archivist", "档案室", "周安娜")
    flow = file_piece(alice, sale, "FLOW_TRACK")
    (step,) = ApprovalStep.objects.filter(document=flow)
    assert (step.role, step.status, step.escalated_to, step.escalation) == (
        "dept_manager",
        "pending",
        "archivist",
        "vacant",
    )
    assert list(services.waiting_for(anna)) == [step]
    assert list(services.waiting_for(alice)) == []  # the filer never signs
    assert Notification.objects.filter(user=alice, text__contains="无人担任").exists()
    services.document_confirm(actor=anna, confirmation_id=step.pk)
    assert row(sale, "FLOW_TRACK").present


def test_a_piece_waiting_for_its_sign_off_is_no_finding_but_not_complete(
    sale: Any, alice: Any, carol: Any
) -> None:
    """The audit fines the filer for what is missing, not for the signers' time; the 完整率
    still counts the bag incomplete until the piece is signed off. A refused piece is the
    filer's again."""
    from dangan.intake.services import dossier_audit

    def missing_codes() -> set[str]:
        findings = dossier_audit(actor=alice, dossier=sale)
        return {f.checklist_item.code for f in findings if f.checklist_item and f.kind == "missing"}

    flow = file_piece(alice, sale, "FLOW_TRACK")
    assert "FLOW_TRACK" not in missing_codes()
    assert row(sale, "FLOW_TRACK").signing
    (waiting,) = services.waiting_for(carol)
    services.document_refuse(actor=carol, confirmation_id=waiting.pk, note="房号不符")
    assert not row(sale, "FLOW_TRACK").signing
    assert "FLOW_TRACK" in missing_codes()  # refused: the filer must bring it right
    assert services.status_of(flow.sign_offs.get()) == "refused"


def test_the_queue_costs_the_same_few_queries_however_long(
    sale: Any, alice: Any, fiona: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file_piece(alice, sale, "DEPOSIT_RECEIPT")
    with CaptureQueriesContext(connection) as one:
        assert len(list(services.waiting_for(fiona))) == 1
    for _n in range(5):
        file_piece(alice, sale, "DEPOSIT_RECEIPT")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(list(services.waiting_for(fiona))) == 6


def test_a_sign_off_records_the_rules_in_force(sale: Any, alice: Any, carol: Any) -> None:
    """Issue 27 §5: the version of the archive type's rules that asked for the sign-off."""
    from rest_framework.test import APIClient

    from dangan.rules.services import archive_type_version

    flow = file_piece(alice, sale, "FLOW_TRACK")
    confirmation = flow.sign_offs.get()
    assert confirmation.rule_version == archive_type_version(sale.archive_type)
    api = APIClient()
    api.force_authenticate(carol)
    (row,) = api.get("/api/v1/confirmations/").json()["results"]
    assert row["rule_version"] == confirmation.rule_version.number
