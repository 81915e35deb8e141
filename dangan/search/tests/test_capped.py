"""The result page at scale: the index hands over at most CAP matches per kind; counts
beyond that are shown as "CAP+", and a narrow view (own customers) still finds its own
records behind everybody else's. Customer entries are never matched by document words."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from dangan.customers.services import customer_create
from dangan.documents.models import Document
from dangan.documents.services import document_add
from dangan.search import selectors
from dangan.search.selectors import search
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


def _group(result: Any, kind: str) -> Any:
    return next(g for g in result.groups if g.kind == kind)


@pytest.fixture
def crowd(bob: Any, alice: Any, monkeypatch: Any) -> Any:
    """Bob's 张伟 first (oldest), then six of the archivist's, newer in the index."""
    monkeypatch.setattr(selectors, "CAP", 4)
    own = customer_create(actor=bob, kind="individual", name="张伟")
    for i in range(6):
        customer_create(actor=alice, kind="individual", name=f"张伟{'甲乙丙丁戊己'[i]}")
    rebuild_index()
    return own


def test_it_counts_up_to_the_cap_and_says_there_are_more(alice: Any, crowd: Any) -> None:
    result = search(alice, "张伟")
    customers = _group(result, "customer")
    assert customers.count == 4 and customers.more is True
    assert result.more is True
    assert str(customers.hits[0].title) == "<mark>张伟</mark>"  # exact name first
    api = APIClient()
    api.force_authenticate(alice)
    body = api.get("/api/v1/search/", {"q": "张伟"}).json()
    group = next(g for g in body["groups"] if g["kind"] == "customer")
    assert group["count"] == 4 and group["count_is_lower_bound"] is True
    page = api.get("/search/", {"q": "张伟"})  # not signed in through the session
    assert page.status_code in (302, 403)


def test_the_page_shows_a_lower_bound(alice: Any, crowd: Any, client: Any) -> None:
    client.force_login(alice)
    body = client.get("/search/", {"q": "张伟"}).content.decode()
    assert "至少" in body and "(4+)" in body


def test_a_narrow_view_finds_its_own_behind_the_cap(bob: Any, crowd: Any) -> None:
    customers = _group(search(bob, "张伟"), "customer")
    assert [h.pk for h in customers.hits] == [crowd.pk]
    assert customers.count == 1 and customers.more is False


def test_document_words_never_match_customers(bob: Any, car_dossier: Any) -> None:
    customer_create(actor=bob, kind="individual", name="李四")
    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="李四的委托书")
    rebuild_index()
    result = search(bob, "委托书")
    assert _group(result, "customer").count == 0
    assert _group(result, "document").count == 1


def test_a_unit_is_not_looked_up_as_words_of_texts(bob: Any, car_dossier: Any) -> None:
    doc = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="付款说明")
    Document.objects.filter(pk=doc.pk).update(text="第3期款项1203元已付清")  # as a PDF gives
    rebuild_index()
    assert _group(search(bob, "3-1203"), "document").count == 0
    assert _group(search(bob, "1203元"), "document").count == 1
