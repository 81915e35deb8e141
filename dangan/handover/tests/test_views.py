from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from conftest import audit_actions
from dangan.handover.models import Custody, Handover, HandoverLine
from dangan.handover.services import handover_sign, handover_verify
from dangan.handover.tests.conftest import results_for

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_creates_a_batch_from_typed_archive_numbers(
    bob: Any, alice: Any, car_dossier: Any
) -> None:
    response = client_for(bob).post(
        "/handover/new/",
        {
            "numbers": car_dossier.archive_number,
            "to_department": alice.department_id,
            "kind": "transfer",
        },
    )
    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/handover/{handover.pk}/"
    assert handover.items.get().dossier == car_dossier


def test_it_shows_an_unknown_archive_number_on_the_form(bob: Any, alice: Any) -> None:
    response = client_for(bob).post(
        "/handover/new/", {"numbers": "NO-SUCH-1", "to_user": alice.pk, "kind": "transfer"}
    )
    assert response.status_code == 200
    assert "NO-SUCH-1" in response.content.decode()
    assert not Handover.objects.exists()


def test_it_lists_open_batches(batch: Handover, bob: Any, alice: Any) -> None:
    for user in (bob, alice):
        page = client_for(user).get("/handover/").content.decode()
        assert batch.number in page


def test_it_verifies_and_signs_at_the_desk(
    batch: Handover, bob: Any, alice: Any, car_dossier: Any
) -> None:
    alices = client_for(alice)
    desk = alices.get("/handover/desk/", {"q": car_dossier.archive_number}, HTTP_HX_REQUEST="true")
    assert desk.status_code == 200
    html = desk.content.decode()
    assert batch.number in html and 'name="r_' in html
    item = batch.items.get()
    form = {f"r_{line.pk}": "present" for line in item.lines.all()}
    first = item.lines.first()
    form[f"r_{first.pk}"] = "wrong"
    form[f"n_{first.pk}"] = "姓名与身份证不一致"
    form["desk_item"] = str(item.pk)
    response = alices.post(f"/handover/{batch.pk}/verify/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert HandoverLine.objects.get(pk=first.pk).result == "wrong"
    handover_sign(actor=bob, handover=batch, as_party="sender")
    signed = alices.post(f"/handover/{batch.pk}/sign/", {"as_party": "receiver"})
    assert signed.status_code == 302
    assert Handover.objects.get(pk=batch.pk).status == Handover.Status.RETURNED
    assert not Custody.objects.filter(dossier=car_dossier).exists()


def test_it_hides_a_batch_from_strangers(batch: Handover, dave: Any) -> None:
    daves = client_for(dave)
    assert daves.get(f"/handover/{batch.pk}/").status_code == 404
    assert daves.get(f"/handover/{batch.pk}/slip.pdf").status_code == 404
    assert daves.post(f"/handover/{batch.pk}/sign/", {"as_party": "receiver"}).status_code == 404
    assert Handover.objects.get(pk=batch.pk).receiver_signed_at is None


def test_it_prints_the_slip_with_both_signatures(batch: Handover, bob: Any, alice: Any) -> None:
    handover_verify(actor=alice, handover=batch, results=results_for(batch))
    handover_sign(actor=bob, handover=batch, as_party="sender")
    handover_sign(actor=alice, handover=batch, as_party="receiver")
    batch.refresh_from_db()
    Handover.objects.filter(pk=batch.pk).update(totals={**batch.totals, "bytes": 22764})
    response = client_for(alice).get(f"/handover/{batch.pk}/slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "客户档案移交单" in text
    assert "22.2 KB" in text and "字节" not in text  # a size people read
    assert str(bob) in text and str(alice) in text
    assert audit_actions(object_type="handover", action="print") == ["print"]


def test_it_shows_custody_on_the_dossier_page(
    batch: Handover, bob: Any, alice: Any, car_dossier: Any
) -> None:
    handover_verify(actor=alice, handover=batch, results=results_for(batch))
    handover_sign(actor=bob, handover=batch, as_party="sender")
    handover_sign(actor=alice, handover=batch, as_party="receiver")
    page = client_for(bob).get(f"/dossiers/{car_dossier.pk}/").content.decode()
    assert "移交记录" in page and batch.number in page and str(alice.department) in page


def test_it_runs_a_departure(bob: Any, carol: Any, bobs_customer: Any, car_dossier: Any) -> None:
    response = client_for(carol).post(
        "/handover/departure/", {"from_user": bob.pk, "to_user": carol.pk}
    )
    assert response.status_code == 302
    bobs_customer.refresh_from_db()
    assert bobs_customer.owner == carol


def test_it_keeps_the_desk_to_receivers(bob: Any) -> None:
    assert client_for(bob).get("/handover/desk/").status_code == 403


def test_it_shows_the_verification_table_to_the_receiver_only(
    batch: Handover, bob: Any, alice: Any, car_dossier: Any
) -> None:
    assert 'name="r_' in client_for(alice).get(f"/handover/{batch.pk}/").content.decode()
    page = client_for(bob).get(f"/handover/{batch.pk}/").content.decode()
    assert 'name="r_' not in page and 'value="sender"' in page
    desk = client_for(alice).get("/handover/desk/", {"q": car_dossier.archive_number})
    assert desk.status_code == 200 and batch.number in desk.content.decode()
