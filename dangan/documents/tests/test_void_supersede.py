"""Void (作废) and supersede (替换) of filed documents, and the findings that follow
(issue 23 §4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD, audit_actions
from dangan.archives.checklist import dossier_checklist
from dangan.archives.models import Dossier
from dangan.audit.models import AuditEntry
from dangan.documents.models import Document
from dangan.documents.services import document_add
from dangan.intake import services as intake
from dangan.intake.models import Finding
from dangan.intake.penalties import violations

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def contract(car_dossier: Any, bob: Any, pdf_bytes: bytes) -> Document:
    item = car_dossier.archive_type.items.get(code="SALES_CONTRACT")
    return document_add(
        actor=bob,
        dossier=car_dossier,
        checklist_item=item,
        file_name="contract.pdf",
        file_chunks=[pdf_bytes],
    )


def _row(dossier: Any, code: str) -> Any:
    return next(r for r in dossier_checklist(dossier).rows if r.item.code == code)


def _refusals(action: str, document: Document) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=action, object_type="document", object_id=str(document.pk))
        .exclude(outcome=AuditEntry.Outcome.SUCCESS)
        .order_by("seq")
    )


def test_it_voids_a_document_with_a_reason(alice: Any, contract: Document) -> None:
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/void/", {"reason": "客户签错合同"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"], body["state_reason"]) == (
        contract.pk,
        "void",
        "客户签错合同",
    )
    contract.refresh_from_db()
    assert contract.state == Document.State.VOID
    assert contract.state_changed_by == alice
    # The checklist counts only valid documents: the required contract is missing again,
    # and so is its finding, once.
    assert _row(contract.dossier, "SALES_CONTRACT").missing
    (missing,) = Finding.objects.filter(dossier=contract.dossier, status="open")
    assert (missing.kind, missing.rule_key) == ("missing", "missing:SALES_CONTRACT")
    assert "void" in audit_actions(object_type="document", object_id=str(contract.pk))
    # The document stays visible, marked.
    listed = api(alice).get(f"/api/v1/documents/?dossier={contract.dossier_id}").json()
    assert [d["state"] for d in listed["results"]] == ["void"]


def test_it_supersedes_a_wrong_document_and_fixes_its_finding(
    alice: Any, contract: Document, png_bytes: bytes
) -> None:
    wrong = intake.finding_record(
        actor=alice,
        dossier=contract.dossier,
        kind="wrong",
        rule="移交清单核对",
        document=contract,
        checklist_item=contract.checklist_item,
    )
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/supersede/",
        {
            "reason": "合同页缺签字,换正确版本",
            "file": SimpleUploadedFile("fixed.png", png_bytes, "image/png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    new = Document.objects.get(pk=response.json()["id"])
    assert response.json()["supersedes"] == [contract.pk]
    assert new.checklist_item == contract.checklist_item
    assert new.attachments.get().original_name == "fixed.png"
    contract.refresh_from_db()
    assert contract.state == Document.State.SUPERSEDED
    assert contract.superseded_by == new
    assert contract.state_reason == "合同页缺签字,换正确版本"
    wrong.refresh_from_db()
    assert wrong.status == Finding.Status.FIXED
    row = _row(contract.dossier, "SALES_CONTRACT")
    assert row.present and len(row.documents) == 2
    assert "supersede" in audit_actions(object_type="document", object_id=str(contract.pk))


def test_it_refuses_to_void_a_document_of_a_dossier_on_loan(alice: Any, contract: Document) -> None:
    Dossier.objects.filter(pk=contract.dossier_id).update(status=Dossier.Status.ON_LOAN)
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/void/", {"reason": "错"}, format="json"
    )
    assert response.status_code == 409
    assert "借出" in response.json()["non_field_errors"][0]
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID
    assert not Finding.objects.exists()
    (refusal,) = _refusals("void", contract)
    assert refusal.outcome == AuditEntry.Outcome.DENIED


def test_it_refuses_to_void_a_document_of_a_destroyed_dossier(
    alice: Any, contract: Document
) -> None:
    Dossier.objects.filter(pk=contract.dossier_id).update(status=Dossier.Status.DESTROYED)
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/void/", {"reason": "错"}, format="json"
    )
    assert response.status_code == 409
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID


def test_it_names_a_missing_reason(alice: Any, contract: Document) -> None:
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/void/", {"reason": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID


def test_it_audits_a_blank_reason_given_to_the_service(alice: Any, contract: Document) -> None:
    from dangan.core.errors import ApplicationError
    from dangan.documents.services import document_void

    with pytest.raises(ApplicationError) as caught:
        document_void(actor=alice, document=contract, reason=" ")
    assert caught.value.field == "reason"
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID
    (refusal,) = _refusals("void", contract)
    assert refusal.outcome == AuditEntry.Outcome.FAILED


def test_it_refuses_to_void_twice(alice: Any, contract: Document) -> None:
    url = f"/api/v1/documents/{contract.pk}/void/"
    assert api(alice).post(url, {"reason": "错"}, format="json").status_code == 200
    assert api(alice).post(url, {"reason": "又错"}, format="json").status_code == 409
    contract.refresh_from_db()
    assert contract.state_reason == "错"


def test_it_refuses_void_without_the_change_permission(bob: Any, contract: Document) -> None:
    """Bob (客户经理) may upload but not change a filed dossier."""
    response = api(bob).post(
        f"/api/v1/documents/{contract.pk}/void/", {"reason": "错"}, format="json"
    )
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID


def test_it_hides_another_departments_document(dave: Any, contract: Document) -> None:
    for action in ("void", "supersede"):
        response = api(dave).post(
            f"/api/v1/documents/{contract.pk}/{action}/", {"reason": "错"}, format="multipart"
        )
        assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID


def test_it_refuses_a_supersede_without_a_scan(alice: Any, contract: Document) -> None:
    response = api(alice).post(
        f"/api/v1/documents/{contract.pk}/supersede/", {"reason": "错"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()
    assert Document.objects.count() == 1


# --- one finding per rule and item, whichever check saw it first ----------------------


def _handover_missing(bob: Any, alice: Any, dossier: Any, code: str) -> None:
    from dangan.handover.services import handover_create, handover_verify
    from dangan.handover.tests.conftest import results_for

    batch = handover_create(actor=bob, dossier_ids=[dossier.pk], to_department=alice.department)
    handover_verify(actor=alice, handover=batch, results=results_for(batch, **{code: "missing"}))


def test_it_fines_a_missing_piece_once_when_the_handover_saw_it_first(
    alice: Any, bob: Any, car_dossier: Any
) -> None:
    car_dossier.archive_type.penalties = [{"finding": "incomplete", "amount": "50.00"}]
    car_dossier.archive_type.save(update_fields=["penalties"])
    _handover_missing(bob, alice, car_dossier, "SALES_CONTRACT")
    intake.dossier_audit(actor=alice, dossier=car_dossier)
    contract_findings = Finding.objects.filter(
        dossier=car_dossier, checklist_item__code="SALES_CONTRACT", status="open"
    )
    assert contract_findings.count() == 1
    month = timezone.localdate().strftime("%Y-%m")
    fined = [v for v in violations(month) if v.finding.checklist_item_id is not None]
    contract_fines = [v for v in fined if v.finding.checklist_item.code == "SALES_CONTRACT"]
    assert len(contract_fines) == 1


def test_it_fines_a_missing_piece_once_when_the_audit_saw_it_first(
    alice: Any, bob: Any, car_dossier: Any
) -> None:
    intake.dossier_audit(actor=alice, dossier=car_dossier)
    _handover_missing(bob, alice, car_dossier, "SALES_CONTRACT")
    contract_findings = Finding.objects.filter(
        dossier=car_dossier, checklist_item__code="SALES_CONTRACT", status="open"
    )
    assert [f.source for f in contract_findings] == [Finding.Source.AUDIT]


# --- the dossier page ----------------------------------------------------------------


def _login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_it_shows_void_and_supersede_buttons_to_those_who_may_change(
    alice: Any, bob: Any, contract: Document
) -> None:
    url = f"/dossiers/{contract.dossier_id}/"
    page = _login(alice).get(url).content.decode()
    assert f"/documents/{contract.pk}/void/" in page
    assert 'id="void-dialog"' in page and "dangan/app.js" in page
    assert "<script>" not in page.split("</main>")[0].split("<main")[-1]
    assert f"/documents/{contract.pk}/void/" not in _login(bob).get(url).content.decode()


def test_it_voids_through_the_page(alice: Any, contract: Document) -> None:
    client = _login(alice)
    response = client.post(f"/documents/{contract.pk}/void/", {"reason": "重复归档"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.state, contract.state_reason) == ("void", "重复归档")
    page = client.get(response["Location"]).content.decode()
    assert "重复归档" in page and "作废" in page


def test_it_explains_a_refused_void_on_the_page(alice: Any, contract: Document) -> None:
    client = _login(alice)
    response = client.post(f"/documents/{contract.pk}/void/", {"reason": ""}, follow=True)
    assert "请填写原因" in response.content.decode()
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID


def test_it_refuses_the_page_void_without_permission(bob: Any, contract: Document) -> None:
    response = _login(bob).post(f"/documents/{contract.pk}/void/", {"reason": "错"})
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.state == Document.State.VALID
