"""GET /api/v1/audit/ filters and export; the trail cannot be changed through the API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from conftest import audit_actions
from dangan.accounts.models import User
from dangan.audit.api import AuditExportApi
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def trail(bob: User) -> dict[str, AuditEntry]:
    out = {}
    for name, when, outcome in [
        ("feb", dt.datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI), "success"),
        ("mar1", dt.datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI), "denied"),
        ("mar2", dt.datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI), "success"),
    ]:
        with mock.patch("django.utils.timezone.now", return_value=when.astimezone(dt.UTC)):
            audit_record(
                actor=bob, action="view", object_type="dossier", object_id=name, outcome=outcome
            )
        out[name] = AuditEntry.objects.get(object_id=name)
    return out


def seqs(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["seq"] for row in response.json()["results"]}


def test_it_filters_by_calendar_dates_in_the_server_time_zone(
    ada: User, trail: dict[str, AuditEntry]
) -> None:
    got = seqs(api(ada).get("/api/v1/audit/", {"from": "2026-03-01", "to": "2026-03-01"}))
    assert got == {trail["mar1"].seq}
    got = seqs(api(ada).get("/api/v1/audit/", {"to": "2026-02-28", "object_type": "dossier"}))
    assert got == {trail["feb"].seq}
    got = seqs(api(ada).get("/api/v1/audit/", {"from": "2026-03-01", "object_type": "dossier"}))
    assert got == {trail["mar1"].seq, trail["mar2"].seq}


def test_it_filters_by_outcome_and_keeps_the_old_filters(
    ada: User, trail: dict[str, AuditEntry]
) -> None:
    got = seqs(api(ada).get("/api/v1/audit/", {"outcome": "denied", "object_type": "dossier"}))
    assert got == {trail["mar1"].seq}
    got = seqs(api(ada).get("/api/v1/audit/", {"actor": "bob", "object_id": "mar2"}))
    assert got == {trail["mar2"].seq}


def test_it_answers_a_bad_filter_with_a_field_named_400(ada: User) -> None:
    response = api(ada).get("/api/v1/audit/", {"from": "yesterday"})
    assert response.status_code == 400
    assert "from" in response.json()
    response = api(ada).get("/api/v1/audit/", {"outcome": "maybe"})
    assert response.status_code == 400
    assert "outcome" in response.json()


def test_it_refuses_the_trail_to_others_before_reading_filters(bob: User, sam: User) -> None:
    for user in (bob, sam):
        assert api(user).get("/api/v1/audit/", {"from": "bad"}).status_code == 403


@pytest.mark.parametrize("method", ["delete", "put", "patch", "post"])
def test_it_has_no_way_to_change_the_trail(method: str, ada: User, bob: User) -> None:
    audit_record(actor=bob, action="view", object_type="dossier", object_id="1")
    entry = AuditEntry.objects.get(object_type="dossier", object_id="1")
    superuser = User.objects.create_superuser("root", password="x-Very-Long-1")
    for user in (ada, superuser):
        response = getattr(api(user), method)("/api/v1/audit/", {"seq": entry.seq}, format="json")
        assert response.status_code == 405
    entry.refresh_from_db()
    assert entry.object_id == "1"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_exports_through_the_api(ada: User, trail: dict[str, AuditEntry]) -> None:
    # Called as a view: the route /api/v1/audit/export.xlsx is wired in dangan/api_urls.py.
    request = APIRequestFactory().get(
        "/api/v1/audit/export.xlsx", {"from": "2026-03-01", "object_type": "dossier"}
    )
    force_authenticate(request, user=ada)
    response = AuditExportApi.as_view()(request)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook["审计日志"].iter_rows(values_only=True))
    assert rows[0][0] == "序号"
    assert {r[0] for r in rows[1:]} == {trail["mar1"].seq, trail["mar2"].seq}
    assert audit_actions(actor_name="ada", action="export") == ["export"]
    assert AuditEntry.objects.get(action="export").detail["filters"] == {
        "from": "2026-03-01",
        "object_type": "dossier",
    }


def test_it_refuses_the_api_export_to_others(bob: User) -> None:
    request = APIRequestFactory().get("/api/v1/audit/export.xlsx")
    force_authenticate(request, user=bob)
    assert AuditExportApi.as_view()(request).status_code == 403
    assert audit_actions(action="export") == []


def test_it_checks_the_chain_on_demand_and_records_the_check(
    ada: User, trail: dict[str, AuditEntry]
) -> None:
    response = api(ada).post("/api/v1/audit/verify/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["intact"] is True and body["seq"] is None and "哈希链完整" in body["message"]
    assert audit_actions(action="verify", outcome="success") == ["verify"]

    AuditEntry.objects.filter(pk=trail["mar1"].pk).update(object_repr="改过了")
    body = api(ada).post("/api/v1/audit/verify/").json()
    assert body["intact"] is False
    assert (body["seq"], body["reason"]) == (trail["mar1"].seq, "entry content altered")
    assert audit_actions(action="verify", outcome="failed") == ["verify"]


def test_it_refuses_the_chain_check_to_others(bob: User, sam: User) -> None:
    for user in (bob, sam):
        assert api(user).post("/api/v1/audit/verify/").status_code == 403
    assert audit_actions(action="verify") == []
