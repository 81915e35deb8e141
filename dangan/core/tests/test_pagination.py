"""The API lists' pagination (#29): ?page_size=&page= as well as ?limit=&offset=, a cap
on the page, junk ignored, and a page serialized with its fields built
once (a serializer per row was most of a list's time)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from dangan.core.api import Pagination
from dangan.customers.services import customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(bob: Any) -> list[Any]:
    return [customer_create(actor=bob, kind="individual", name=f"客户{n}") for n in range(5)]


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def names(answer: Any) -> list[str]:
    return [row["name"] for row in answer.json()["results"]]


def test_page_size_and_page_choose_the_rows(bob: Any, five: list[Any]) -> None:
    client = client_for(bob)
    newest_first = names(client.get("/api/v1/customers/"))
    assert len(newest_first) == 5

    one = client.get("/api/v1/customers/?page_size=1")
    assert one.status_code == 200 and names(one) == newest_first[:1]
    assert one.json()["count"] == 5

    second = client.get("/api/v1/customers/?page_size=2&page=2")
    assert names(second) == newest_first[2:4]
    assert "limit=2" in second.json()["next"] and "offset=4" in second.json()["next"]

    assert names(client.get("/api/v1/customers/?limit=2&offset=1")) == newest_first[1:3]
    # limit and offset win over page_size and page when both are given
    assert names(client.get("/api/v1/customers/?limit=1&page_size=3")) == newest_first[:1]


def test_junk_is_ignored_and_a_page_has_a_ceiling(bob: Any, five: list[Any]) -> None:
    client = client_for(bob)
    for query in ("page_size=0", "page=0", "page=abc", "limit=-1", "offset=x"):
        answer = client.get(f"/api/v1/customers/?{query}")
        assert answer.status_code == 200 and len(answer.json()["results"]) == 5, query
    capped = client.get("/api/v1/customers/?page_size=100000&page=2")
    assert capped.status_code == 200 and capped.json()["results"] == []
    assert f"limit={Pagination.MAX_LIMIT}" in capped.json()["previous"]


def test_a_page_builds_its_serializer_fields_once(bob: Any, templates: Any) -> None:
    from conftest import another_car
    from dangan.archives.services import dossier_create

    for n in range(4):
        customer = customer_create(actor=bob, kind="individual", name=f"车主{n}")
        dossier_create(
            actor=bob, customer=customer, archive_type=templates["CAR-SALE"], fields=another_car(n)
        )
    original = serializers.ModelSerializer.get_fields
    with mock.patch.object(
        serializers.ModelSerializer, "get_fields", autospec=True, side_effect=original
    ) as built:
        answer = client_for(bob).get("/api/v1/dossiers/")
    assert answer.status_code == 200 and answer.json()["count"] == 4
    assert built.call_count == 1  # was one per row


def test_the_schema_offers_page_and_page_size(bob: Any) -> None:
    schema = client_for(bob).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    params = {p["name"] for p in schema.json()["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert {"limit", "offset", "page", "page_size"} <= params
