"""The statements of the hot requests, through the whole stack as a browser or an API
client sends them (a session cookie or a Bearer token): a request that starts reading
more — the session, the user or the roles again, a policy query per row, a lookup the
search already made — fails here. The numbers are today's counts: lower them when a
change saves a statement, never raise them without saying why (benchmarks/README.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from dangan.accounts.services import token_create
from dangan.customers.services import customer_create
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _warm(client: Client, path: str, **headers: Any) -> None:
    """A first request fills what a process keeps (compiled SQL, the menu's badge). In a
    test the audit entry is written at once, inside a savepoint: its five statements
    (SAVEPOINT … RELEASE) are counted below."""
    assert client.get(path, headers=headers).status_code == 200


@pytest.fixture
def data(bob: Any, dave: Any, car_dossier: Any, bobs_customer: Any) -> dict[str, Any]:
    for n in range(3):
        customer_create(actor=bob, kind="individual", name=f"王伟{n}")
        customer_create(actor=dave, kind="individual", name=f"王伟{n}")
    rebuild_index()
    return {"dossier": car_dossier, "customer": bobs_customer}


def test_it_reads_session_user_and_roles_once_each(
    bob: Any, django_assert_num_queries: Any
) -> None:
    client = _signed_in(bob)
    _warm(client, "/api/v1/me/")
    # The session, the user, the roles, the department.
    with django_assert_num_queries(4):
        assert client.get("/api/v1/me/").status_code == 200


def test_it_reads_a_token_user_and_roles_once_each(
    bob: Any, django_assert_max_num_queries: Any
) -> None:
    token = token_create(actor=bob, user=bob)
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    _warm(client, "/api/v1/me/", **headers)
    # The token with its user, the roles, the department.
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/me/", headers=headers).status_code == 200


def _on_postgresql(more: int) -> int:
    """A search sends `more` statements on PostgreSQL (counted there, as on main before
    these tests: the difference is not this file's concern)."""
    return more if connection.vendor == "postgresql" else 0


@pytest.mark.parametrize(
    ("path", "most", "more_on_postgresql"),
    [
        ("/api/v1/customers/?page_size=1", 6, 0),
        ("/api/v1/search/?q=王伟", 14, 2),
        ("/api/v1/search/?q=11010519491231002X", 17, 2),
        # 18: the menu's badges, change requests waiting for the reader (#23 §3) with
        # them, in one statement (19 while that count was a query of its own).
        ("/search/?q=王伟", 18, 2),
    ],
)
def test_an_account_managers_hot_requests(
    bob: Any,
    data: dict[str, Any],
    path: str,
    most: int,
    more_on_postgresql: int,
    django_assert_max_num_queries: Any,
) -> None:
    client = _signed_in(bob)
    _warm(client, path)
    with django_assert_max_num_queries(most + _on_postgresql(more_on_postgresql)):
        assert client.get(path).status_code == 200


def test_the_dossier_page(
    bob: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = _signed_in(bob)
    path = f"/dossiers/{data['dossier'].pk}/"
    _warm(client, path)
    # 27 before #23 added the parts card and its keys; 33 with its 变更记录 (the changed
    # fields, the pending requests, the status changes) and the menu's waiting changes;
    # 28 since the status moves are read once for the page (lifecycle.prime_status, four
    # statements before), the menu's badges are one statement, the dossier is not checked
    # a second time for the view it was read for, nor a third for 修改.
    with django_assert_max_num_queries(28):
        assert client.get(path).status_code == 200


def test_the_archivists_dossier_page(
    alice: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    """The archive room's view adds the forms (upload, place, status, parts) and the
    room's tree (its places and what each holds: two statements); the dossier's place is
    read from the tree, not a third time."""
    client = _signed_in(alice)
    path = f"/dossiers/{data['dossier'].pk}/"
    _warm(client, path)
    with django_assert_max_num_queries(31):
        assert client.get(path).status_code == 200


def test_an_archivists_search(
    alice: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = _signed_in(alice)
    _warm(client, "/api/v1/search/?q=王伟")
    with django_assert_max_num_queries(14 + _on_postgresql(2)):
        assert client.get("/api/v1/search/?q=王伟").status_code == 200
