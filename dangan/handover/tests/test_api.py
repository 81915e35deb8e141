from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import audit_actions
from dangan.handover.models import Custody, Handover

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def verify_body(data: dict[str, Any], result: str = "present") -> dict[str, Any]:
    return {
        "items": [
            {
                "item": item["id"],
                "lines": [{"code": ln["code"], "result": result} for ln in item["lines"]],
            }
            for item in data["items"]
        ]
    }


def test_it_runs_a_batch_through_the_api(bob: Any, alice: Any, car_dossier: Any) -> None:
    bobs, alices = client_for(bob), client_for(alice)
    created = bobs.post(
        "/api/v1/handovers/",
        {"to_department": alice.department_id, "dossiers": [car_dossier.pk]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    url = f"/api/v1/handovers/{data['id']}/"
    assert alices.get(url).status_code == 200
    verified = alices.post(url + "verify/", verify_body(data), content_type="application/json")
    assert verified.status_code == 200, verified.json()
    assert {i["status"] for i in verified.json()["items"]} == {"accepted"}

    def sign(c: Client, party: str) -> Any:
        return c.post(url + "sign/", {"as_party": party}, content_type="application/json")

    assert sign(bobs, "sender").status_code == 200
    assert sign(bobs, "sender").status_code == 409
    assert sign(bobs, "receiver").status_code == 403
    done = sign(alices, "receiver")
    assert done.status_code == 200 and done.json()["status"] == "signed"
    assert Custody.objects.get(dossier=car_dossier).department_id == alice.department_id
    listed = alices.get("/api/v1/handovers/?box=received").json()
    assert [h["number"] for h in listed["results"]] == [data["number"]]


def test_it_answers_400_for_a_bad_body(bob: Any) -> None:
    response = client_for(bob).post("/api/v1/handovers/", {}, content_type="application/json")
    assert response.status_code == 400
    assert "dossiers" in response.json()


def test_it_answers_403_without_the_send_permission(eve: Any, alice: Any, car_dossier: Any) -> None:
    response = client_for(eve).post(
        "/api/v1/handovers/",
        {"to_user": alice.pk, "dossiers": [car_dossier.pk]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Handover.objects.exists()


def test_it_answers_409_for_a_dossier_in_another_open_batch(
    batch: Handover, bob: Any, alice: Any, car_dossier: Any
) -> None:
    response = client_for(bob).post(
        "/api/v1/handovers/",
        {"to_user": alice.pk, "dossiers": [car_dossier.pk]},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert batch.number in response.json()["dossiers"][0]


def test_it_answers_404_to_strangers(batch: Handover, dave: Any) -> None:
    dave_client = client_for(dave)
    assert dave_client.get(f"/api/v1/handovers/{batch.pk}/").status_code == 404
    response = dave_client.post(
        f"/api/v1/handovers/{batch.pk}/sign/",
        {"as_party": "receiver"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert "sign" not in audit_actions(object_type="handover")


def test_it_answers_404_when_the_receiver_may_not_see_the_dossier(
    bob: Any, dave: Any, car_dossier: Any
) -> None:
    created = (
        client_for(bob)
        .post(
            "/api/v1/handovers/",
            {"to_user": dave.pk, "dossiers": [car_dossier.pk]},
            content_type="application/json",
        )
        .json()
    )
    daves = client_for(dave)
    detail = daves.get(f"/api/v1/handovers/{created['id']}/").json()
    response = daves.post(
        f"/api/v1/handovers/{created['id']}/verify/",
        verify_body(detail),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_it_answers_404_for_a_dossier_the_sender_cannot_see(
    dave: Any, alice: Any, car_dossier: Any
) -> None:
    response = client_for(dave).post(
        "/api/v1/handovers/",
        {"to_user": alice.pk, "dossiers": [car_dossier.pk]},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_it_serves_the_slip_to_the_batch_s_parties_only(
    batch: Handover, bob: Any, dave: Any
) -> None:
    import io

    from pypdf import PdfReader

    response = client_for(bob).get(f"/api/v1/handovers/{batch.pk}/slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "客户档案移交单" in text and batch.number in text
    assert client_for(dave).get(f"/api/v1/handovers/{batch.pk}/slip.pdf").status_code == 404
    assert audit_actions(object_type="handover", action="print") == ["print"]


def test_it_runs_a_departure_through_the_api(
    bob: Any, carol: Any, dave: Any, car_dossier: Any
) -> None:
    from dangan.customers.models import Customer

    url = "/api/v1/handovers/departure/"
    body = {"from_user": bob.pk, "to_user": carol.pk, "note": "离职"}
    assert client_for(bob).post(url, body, content_type="application/json").status_code == 403
    bad = client_for(carol).post(url, {"from_user": "x"}, content_type="application/json")
    assert bad.status_code == 400 and {"from_user", "to_user"} <= set(bad.json())
    other = {"from_user": dave.pk, "to_user": carol.pk}  # another department's
    refused = client_for(carol).post(url, other, content_type="application/json")
    assert refused.status_code == 403
    assert audit_actions(action="departure") == []

    done = client_for(carol).post(url, body, content_type="application/json")
    assert done.status_code == 200, done.json()
    data = done.json()
    assert data["customers"] == [car_dossier.customer_id] and data["handover"] is not None
    assert Customer.objects.get(pk=car_dossier.customer_id).owner_id == carol.pk
    assert Handover.objects.get(pk=data["handover"]).kind == Handover.Kind.DEPARTURE
    assert audit_actions(action="departure") == ["departure"]
