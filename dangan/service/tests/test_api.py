from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import audit_actions

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_a_complaint_runs_from_the_call_to_the_return_visit(
    cs: Any, bobs_customer: Any, property_dossier: Any
) -> None:
    api = client_for(cs)
    created = post(
        api,
        "/api/v1/tickets/",
        {
            "customer": bobs_customer.pk,
            "dossier": property_dossier.pk,
            "category": "complaint",
            "description": "电梯噪音大",
            "contact_phone": "13912345678",
        },
    )
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert ticket["status"] == "received" and ticket["allowed"] == ["in_progress", "resolved"]
    url = f"/api/v1/tickets/{ticket['id']}/transition/"
    assert post(api, url, {"to": "resolved", "outcome": "已调整"}).status_code == 200
    refused = post(api, url, {"to": "closed"})
    assert refused.status_code == 400 and "to" in refused.json()
    bad = post(api, url, {"to": "visited", "satisfaction": 9})
    assert bad.status_code == 400 and "satisfaction" in bad.json()
    assert post(api, url, {"to": "visited", "satisfaction": 4, "note": "满意"}).status_code == 200
    closed = post(api, url, {"to": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    wrong = post(api, url, {"to": "in_progress"})
    assert wrong.status_code == 409
    listed = api.get(f"/api/v1/tickets/?customer={bobs_customer.pk}").json()
    assert [t["number"] for t in listed["results"]] == [ticket["number"]]


def test_a_ticket_on_a_customer_one_may_not_see_is_404(dave: Any, bobs_customer: Any) -> None:
    answer = post(
        client_for(dave),
        "/api/v1/tickets/",
        {"customer": bobs_customer.pk, "category": "repair", "description": "x"},
    )
    assert answer.status_code == 404


def test_bad_bodies_name_their_fields(cs: Any, bobs_customer: Any) -> None:
    api = client_for(cs)
    answer = post(
        api,
        "/api/v1/tickets/",
        {"customer": bobs_customer.pk, "category": "nope", "description": "x"},
    )
    assert answer.status_code == 400 and "category" in answer.json()
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    contact = post(
        api,
        "/api/v1/contacts/",
        {
            "customer": bobs_customer.pk,
            "kind": "call",
            "date": timezone.localdate().isoformat(),
            "summary": "回访",
            "follow_up": past,
        },
    )
    assert contact.status_code == 400 and "follow_up" in contact.json()
    kind = post(
        api,
        "/api/v1/contacts/",
        {"customer": bobs_customer.pk, "kind": "pigeon", "date": past, "summary": "x"},
    )
    assert kind.status_code == 400 and "kind" in kind.json()


def test_contacts_transactions_and_stays_filter_by_customer(
    bob: Any, fay: Any, bobs_customer: Any
) -> None:
    api = client_for(bob)
    today = timezone.localdate().isoformat()
    assert (
        post(
            api,
            "/api/v1/contacts/",
            {"customer": bobs_customer.pk, "kind": "visit", "date": today, "summary": "上门拜访"},
        ).status_code
        == 201
    )
    assert (
        post(
            api,
            "/api/v1/transactions/",
            {
                "customer": bobs_customer.pk,
                "kind": "payment",
                "date": today,
                "amount": "5000.00",
                "method": "card",
            },
        ).status_code
        == 201
    )
    assert (
        post(
            api,
            "/api/v1/stays/",
            {"customer": bobs_customer.pk, "arrival": today, "departure": today, "room": "808"},
        ).status_code
        == 201
    )
    finance = client_for(fay)
    for path in ("contacts", "transactions", "stays"):
        body = finance.get(f"/api/v1/{path}/?customer={bobs_customer.pk}").json()
        assert body["count"] == 1, path
    assert (
        post(
            finance,
            "/api/v1/contacts/",
            {"customer": bobs_customer.pk, "kind": "visit", "date": today, "summary": "x"},
        ).status_code
        == 403
    )
    assert audit_actions(object_type="transaction") == ["create"]


def test_the_month_counts(cs: Any, bobs_customer: Any) -> None:
    api = client_for(cs)
    post(
        api,
        "/api/v1/tickets/",
        {"customer": bobs_customer.pk, "category": "repair", "description": "灯坏了"},
    )
    stats = api.get("/api/v1/tickets/stats/").json()
    assert stats["total"] == 1 and stats["by_category"][0]["category"] == "repair"
    assert api.get("/api/v1/tickets/stats/?month=2026-13").status_code == 400


def test_notices_through_the_api(carol: Any, bob: Any) -> None:
    sent = post(
        client_for(carol),
        "/api/v1/notices/",
        {"direction": "down", "title": "检查通知", "body": "周五检查档案", "recipients": [bob.pk]},
    )
    assert sent.status_code == 201, sent.json()
    bobs = client_for(bob)
    assert bobs.get("/api/v1/notices/").json()["count"] == 1
    acked = post(bobs, f"/api/v1/notices/{sent.json()['id']}/acknowledge/", {})
    assert acked.status_code == 200
    assert acked.json()["receipts"][0]["acknowledged_at"]
    assert (
        post(
            bobs,
            "/api/v1/notices/",
            {"direction": "up", "title": "t", "body": "b", "recipients": [carol.pk]},
        ).status_code
        == 403
    )
