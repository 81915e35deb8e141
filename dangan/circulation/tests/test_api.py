from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import audit_actions
from dangan.circulation.models import AccessRequest, Loan
from dangan.circulation.tests.conftest import later

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(target: Any, **kw: Any) -> dict[str, Any]:
    return {
        "kind": "view",
        "dossier": target.pk,
        "purpose": "核对合同",
        "until": later(days=2).isoformat(),
    } | kw


def test_it_runs_request_approve_lend_renew_return(
    frank: Any, carol: Any, alice: Any, car_dossier: Any
) -> None:
    created = api(frank).post("/api/v1/access-requests/", body(car_dossier, kind="borrow"))
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["number"].startswith("JY-")
    assert [s["status"] for s in created.json()["steps"]] == ["pending", "waiting"]
    assert [r["id"] for r in api(carol).get("/api/v1/approvals/").json()["results"]] == [pk]
    assert api(alice).post(f"/api/v1/access-requests/{pk}/approve/").status_code == 409
    assert api(frank).post(f"/api/v1/access-requests/{pk}/approve/").status_code == 403
    step = api(carol).post(f"/api/v1/access-requests/{pk}/approve/", {"note": "同意"})
    assert step.status_code == 200
    done = api(alice).post(f"/api/v1/access-requests/{pk}/approve/")
    assert done.json()["status"] == "approved"
    lend = {"dossier": car_dossier.pk, "borrower": frank.pk, "due": later(days=5).isoformat()}
    assert api(carol).post("/api/v1/loans/", lend).status_code == 403
    loan = api(alice).post("/api/v1/loans/", lend)
    assert loan.status_code == 201, loan.json()
    loan_pk = loan.json()["id"]
    assert [x["id"] for x in api(frank).get("/api/v1/loans/").json()["results"]] == [loan_pk]
    assert api(carol).get("/api/v1/loans/").json()["results"] == []
    far = api(alice).post(f"/api/v1/loans/{loan_pk}/renew/", {"due": later(days=40).isoformat()})
    assert far.status_code == 400 and "due" in far.json()
    renewed = api(alice).post(f"/api/v1/loans/{loan_pk}/renew/", {"due": later(days=9).isoformat()})
    assert renewed.json()["renewals"] == 1
    back = api(alice).post(f"/api/v1/loans/{loan_pk}/return/", {"complete": True}, format="json")
    assert back.status_code == 200 and back.json()["returned_at"]
    again = api(alice).post(f"/api/v1/loans/{loan_pk}/return/", {"complete": True}, format="json")
    assert again.status_code == 409
    assert api(frank).get("/api/v1/notifications/").json()["count"] >= 1


def test_it_names_bad_fields_in_chinese(bob: Any, car_dossier: Any) -> None:
    answer = api(bob).post(
        "/api/v1/access-requests/", body(car_dossier, kind="steal", until="明天", purpose="")
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"kind", "until", "purpose"}
    past = api(bob).post("/api/v1/access-requests/", body(car_dossier, until="2020-01-01"))
    assert past.status_code == 400 and past.json()["until"] == ["期限须晚于当前时间"]
    assert AccessRequest.objects.count() == 0


def test_it_answers_alike_for_undiscoverable_and_missing_dossiers(
    dave: Any, car_dossier: Any
) -> None:
    """A role that may not discover dossiers (issue 27 §1) learns nothing from a request:
    the same field-named 400 for a hidden dossier as for a missing one."""
    from dangan.accounts.models import Role

    role = Role.objects.get(code="account_manager")
    role.permissions = [p for p in role.permissions if p != "dossier.discover"]
    role.save(update_fields=["permissions"])
    hidden = api(dave).post("/api/v1/access-requests/", body(car_dossier))
    missing = api(dave).post("/api/v1/access-requests/", body(car_dossier, dossier=999999))
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert list(hidden.json()) == ["dossier"]
    assert audit_actions(actor=dave, outcome="denied").count("request") == 2


def test_it_shows_a_request_only_to_those_involved(
    eve: Any, carol: Any, dave: Any, alice: Any, car_dossier: Any
) -> None:
    pk = api(eve).post("/api/v1/access-requests/", body(car_dossier)).json()["id"]
    assert api(eve).get(f"/api/v1/access-requests/{pk}/").status_code == 200
    assert api(carol).get(f"/api/v1/access-requests/{pk}/").status_code == 200
    assert api(alice).get(f"/api/v1/access-requests/{pk}/").status_code == 200  # manages use
    assert api(dave).get(f"/api/v1/access-requests/{pk}/").status_code == 404
    assert api(dave).post(f"/api/v1/access-requests/{pk}/approve/").status_code == 404
    assert api(dave).post(f"/api/v1/access-requests/{pk}/cancel/").status_code == 404
    assert api(carol).post(f"/api/v1/access-requests/{pk}/deny/", {}).status_code == 400
    assert api(eve).post(f"/api/v1/access-requests/{pk}/cancel/").json()["status"] == "cancelled"
    assert [r["id"] for r in api(eve).get("/api/v1/access-requests/").json()["results"]] == [pk]


def test_it_lets_only_the_archivist_revoke_grants(
    eve: Any, carol: Any, alice: Any, car_dossier: Any
) -> None:
    pk = api(eve).post("/api/v1/access-requests/", body(car_dossier)).json()["id"]
    grant = api(carol).post(f"/api/v1/access-requests/{pk}/approve/").json()["grant"]
    assert [g["id"] for g in api(eve).get("/api/v1/grants/").json()["results"]] == [grant]
    assert api(eve).get(f"/api/v1/dossiers/{car_dossier.pk}/").status_code == 200
    assert api(carol).post(f"/api/v1/grants/{grant}/revoke/").status_code == 403
    assert api(alice).post("/api/v1/grants/999999/revoke/").status_code == 404
    assert api(alice).post(f"/api/v1/grants/{grant}/revoke/").status_code == 200
    assert api(eve).get(f"/api/v1/dossiers/{car_dossier.pk}/").status_code == 404


def test_it_refuses_a_loan_without_approval(bob: Any, alice: Any, car_dossier: Any) -> None:
    answer = api(alice).post(
        "/api/v1/loans/",
        {"dossier": car_dossier.pk, "borrower": bob.pk, "due": later(days=3).isoformat()},
    )
    assert answer.status_code == 400 and "borrower" in answer.json()
    assert api(alice).post("/api/v1/loans/", {}).status_code == 400
    assert api(alice).post("/api/v1/loans/999999/return/", {"complete": True}).status_code == 404
    assert Loan.objects.count() == 0


def test_it_marks_notifications_read(eve: Any, carol: Any, car_dossier: Any) -> None:
    from dangan.circulation.selectors import menu_counts, unread_count

    api(eve).post("/api/v1/access-requests/", body(car_dossier))
    assert api(carol).get("/api/v1/notifications/?unread=1").json()["count"] == 1
    assert unread_count(carol) == 1  # the menu's badge
    assert menu_counts(carol) == (1, 1, 0)  # the badges in one query: carol decides it
    assert api(carol).post("/api/v1/notifications/read/", {}, format="json").json()["marked"] == 1
    assert api(carol).get("/api/v1/notifications/?unread=1").json()["count"] == 0
    assert unread_count(carol) == 0 and unread_count(eve) == 0
    assert menu_counts(carol) == (1, 0, 0) and menu_counts(eve) == (0, 0, 0)


def test_it_serves_the_borrow_slip_and_the_register_as_the_pages_do(
    bob: Any, alice: Any, carol: Any, car_dossier: Any
) -> None:
    from django.utils import timezone

    from dangan.circulation import services
    from dangan.circulation.tests.test_views import pdf_text

    found = services.request_create(
        actor=bob, kind="borrow", dossier_id=car_dossier.pk, purpose="核对", until=later(days=3)
    )
    slip = api(bob).get(f"/api/v1/access-requests/{found.pk}/slip.pdf")  # his own request
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    assert found.number in pdf_text(slip.content)
    # not involved in the request: not even told that it exists
    assert api(carol).get(f"/api/v1/access-requests/{found.pk}/slip.pdf").status_code == 404

    year = timezone.localdate().year
    register = api(alice).get("/api/v1/loans/register.pdf", {"year": year})
    assert register.status_code == 200 and register.content.startswith(b"%PDF")
    assert "借阅登记表" in pdf_text(register.content)
    assert api(bob).get("/api/v1/loans/register.pdf").status_code == 403
    bad = api(alice).get("/api/v1/loans/register.pdf", {"year": "20x6"})
    assert bad.status_code == 400 and "year" in bad.json()
    assert audit_actions(action="print") == ["print", "print"]  # the refusals print nothing
