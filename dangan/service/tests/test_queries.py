"""Statement counts of the service pages whose cost once grew with the data: a page that
starts asking the database once per row fails here. The numbers are today's counts: lower
them when a change saves a statement, never raise them without saying why."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import _user

pytestmark = pytest.mark.django_db


def _new_ticket_page(user: Any, customer: Any) -> tuple[Any, int]:
    client = Client()
    client.force_login(user)
    path = f"/service/tickets/new/?customer={customer.pk}"
    assert client.get(path).status_code == 200  # warm: the menu's badge, compiled SQL
    with CaptureQueriesContext(connection) as counted:
        page = client.get(path)
    assert page.status_code == 200
    return page, len(counted)


def _handler_names(page: Any) -> set[str]:
    return {user.username for user in page.context["form"].fields["handler"].queryset}


def test_it_offers_as_handlers_those_who_record_service_and_see_the_customer(
    cs: Any, bob: Any, carol: Any, dave: Any, sam: Any, bobs_customer: Any
) -> None:
    page, _count = _new_ticket_page(cs, bobs_customer)
    # Bob owns the customer, Carol manages its department, Chen sees every customer;
    # Dave (another department's account manager) does not see it, Sam records no service.
    assert _handler_names(page) == {"chen", "bob", "carol"}


def test_it_reads_the_handlers_in_the_same_statements_however_many_there_are(
    cs: Any, bob: Any, carol: Any, dave: Any, bobs_customer: Any
) -> None:
    _page, few = _new_ticket_page(cs, bobs_customer)
    # The session, the user and roles, the customer; the roles that record service, the
    # candidates, their roles; the handlers offered; the dossiers, the categories; the
    # menu's counts (one statement). It was 19 for these four candidates: two per candidate.
    assert few == 11
    for n in range(5):
        _user(f"cs{n}", "customer_service", "客服部")
        _user(f"am{n}", "account_manager", "销售二部")
    page, many = _new_ticket_page(cs, bobs_customer)
    assert len(_handler_names(page)) == 3 + 5
    assert many == few  # was 39
