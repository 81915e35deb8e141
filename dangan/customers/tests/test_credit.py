"""Credit data belongs to finance (issue 29; seed 001): shown on the customer page to
whoever sees the full record, set by finance only (page, API, service), audited; the
account manager cannot raise his own customer's rating or limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from conftest import _user, audit_actions
from dangan.core.errors import Forbidden
from dangan.customers import credit, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def fin(db: Any) -> Any:
    return _user("fin", "finance", "财务部", "钱会计")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_finance_sets_rating_and_limit_and_it_is_audited(fin: Any, bobs_customer: Any) -> None:
    credit.customer_credit_set(
        actor=fin, customer=bobs_customer, credit_rating="A", credit_limit="50000", note="年审"
    )
    bobs_customer.refresh_from_db()
    assert (bobs_customer.credit_rating, bobs_customer.credit_limit) == ("A", Decimal("50000.00"))
    assert audit_actions(actor_name="fin", action="credit_change") == ["credit_change"]


def test_it_refuses_credit_changes_from_anyone_but_finance(
    bob: Any, alice: Any, bobs_customer: Any
) -> None:
    for other in (bob, alice):
        with pytest.raises(Forbidden):
            credit.customer_credit_set(
                actor=other, customer=bobs_customer, credit_rating="A", credit_limit="1"
            )
    assert audit_actions(action="credit_change", outcome="denied") == ["credit_change"] * 2


def test_the_account_manager_cannot_raise_his_customers_rating_or_limit(
    bob: Any, bobs_customer: Any
) -> None:
    for name, value in (("credit_rating", "A"), ("credit_limit", Decimal("99999"))):
        with pytest.raises(Forbidden) as refused:
            services.customer_update(actor=bob, customer=bobs_customer, changes={name: value})
        assert refused.value.field == name
    bobs_customer.refresh_from_db()
    assert (bobs_customer.credit_rating, bobs_customer.credit_limit) == ("", None)
    # Sending the record back unchanged is not refused.
    services.customer_update(
        actor=bob, customer=bobs_customer, changes={"credit_rating": "", "remarks": "回访"}
    )
    with pytest.raises(Forbidden):
        services.customer_create(actor=bob, kind="individual", name="李四", credit_rating="A")


def test_the_api_names_the_refused_field(bob: Any, bobs_customer: Any) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/"
    response = client_for(bob).patch(
        url, {"credit_limit": "100000.00"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "credit_limit" in response.json()


def test_finance_changes_credit_through_the_api_and_the_page(
    fin: Any, bob: Any, bobs_customer: Any
) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/credit/"
    body = {"credit_rating": "B", "credit_limit": "20000.00"}
    assert client_for(bob).post(url, body, content_type="application/json").status_code == 403
    response = client_for(fin).post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["credit_limit"] == "20000.00"
    bad = client_for(fin).post(
        url, {"credit_rating": "Z", "credit_limit": "-1"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert {"credit_rating", "credit_limit"} <= set(bad.json())
    page = client_for(fin).post(
        f"/customers/{bobs_customer.pk}/credit/", {"credit_rating": "C", "credit_limit": "300"}
    )
    assert page.status_code == 302
    bobs_customer.refresh_from_db()
    assert (bobs_customer.credit_rating, bobs_customer.credit_limit) == ("C", Decimal("300.00"))
    assert client_for(bob).get(f"/customers/{bobs_customer.pk}/credit/").status_code == 403


def test_the_customer_page_shows_rating_and_limit(
    fin: Any, bob: Any, eve: Any, bobs_customer: Any
) -> None:
    credit.customer_credit_set(
        actor=fin, customer=bobs_customer, credit_rating="A", credit_limit="88000"
    )
    url = f"/customers/{bobs_customer.pk}/"
    own = client_for(bob).get(url).content.decode()
    assert "授信额度" in own and "88000.00" in own
    assert f"/customers/{bobs_customer.pk}/credit/" not in own
    assert f"/customers/{bobs_customer.pk}/credit/" in client_for(fin).get(url).content.decode()
    assert (
        client_for(bob).get(f"/api/v1/customers/{bobs_customer.pk}/").json()["credit_limit"]
        == "88000.00"
    )
    limited = client_for(eve).get(url)
    assert "88000" not in limited.content.decode()
