"""REST API: authentication, /me, the audit trail, schema, docs and health (SPEC §4)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD, audit_actions

pytestmark = pytest.mark.django_db


def api(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def individual(**overrides: Any) -> dict[str, Any]:
    data = {"kind": "individual", "name": "李四", "mobile": "13912345678"}
    data.update(overrides)
    return data


# --- authentication ----------------------------------------------------------------

DATA_ENDPOINTS = [
    "/api/v1/me/",
    "/api/v1/customers/",
    "/api/v1/customers/1/",
    "/api/v1/archive-types/",
    "/api/v1/archive-types/CAR-SALE/",
    "/api/v1/dossiers/",
    "/api/v1/dossiers/1/",
    "/api/v1/dossiers/1/checklist/",
    "/api/v1/documents/",
    "/api/v1/documents/1/",
    "/api/v1/files/1/",
    "/api/v1/audit/",
]


@pytest.mark.parametrize("url", DATA_ENDPOINTS)
def test_it_refuses_anonymous_callers(url: str) -> None:
    response = api().get(url)
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("url", ["/api/v1/customers/", "/api/v1/dossiers/", "/api/v1/documents/"])
def test_it_refuses_anonymous_posts(url: str) -> None:
    from dangan.customers.models import Customer

    response = api().post(url, individual(), format="json")
    assert response.status_code in (401, 403)
    assert not Customer.objects.exists()


def test_it_accepts_a_bearer_token(bob: Any) -> None:
    from dangan.accounts.services import token_create

    token = token_create(actor=None, user=bob)
    client = APIClient()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "bob"


def test_it_refuses_a_revoked_token(bob: Any) -> None:
    from dangan.accounts.models import ApiToken
    from dangan.accounts.services import token_create, token_revoke

    token = token_create(actor=None, user=bob)
    token_revoke(actor=bob, token=ApiToken.objects.get(user=bob))
    response = APIClient().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (401, 403)
    assert "token_revoke" in audit_actions()


def test_it_refuses_a_made_up_token(bob: Any) -> None:
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer dgn_nonsense")
    assert response.status_code in (401, 403)


def test_it_refuses_a_malformed_authorization_header(bob: Any) -> None:
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code in (401, 403)


def test_it_accepts_the_browser_session(bob: Any) -> None:
    client = APIClient()
    assert client.login(username="bob", password=PASSWORD)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200


def test_it_requires_csrf_for_session_writes(bob: Any) -> None:
    from dangan.customers.models import Customer

    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    response = client.post("/api/v1/customers/", individual(), format="json")
    assert response.status_code == 403
    assert not Customer.objects.exists()


# --- /me ---------------------------------------------------------------------------


def test_it_describes_the_caller(bob: Any) -> None:
    body = api(bob).get("/api/v1/me/").json()
    assert body["id"] == bob.pk
    assert body["username"] == "bob"
    assert body["roles"] == ["account_manager"]
    assert body["department"] == "销售一部"


def test_it_describes_a_caller_without_department(sam: Any) -> None:
    body = api(sam).get("/api/v1/me/").json()
    assert body["roles"] == ["sysadmin"]
    assert body["department"] is None


# --- audit, schema, docs, health --------------------------------------------------------


def test_it_shows_the_audit_trail_to_the_auditor(ada: Any, bob: Any, bobs_customer: Any) -> None:
    response = api(ada).get("/api/v1/audit/")
    assert response.status_code == 200
    assert response.json()["count"] >= 1


def test_it_hides_the_audit_trail_from_others(bob: Any, alice: Any, sam: Any) -> None:
    for user in (bob, alice, sam):
        assert api(user).get("/api/v1/audit/").status_code == 403


def test_it_serves_the_openapi_schema(bob: Any) -> None:
    response = api(bob).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["openapi"].startswith("3.")
    assert "/api/v1/customers/" in body["paths"]


def test_it_renders_docs_without_a_cdn(bob: Any, settings: Any) -> None:
    # conftest's DANGAN_STATIC_PLAIN comes too late (pytest-django imports settings before
    # the root conftest), so the manifest storage is active and no manifest exists in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = api(bob).get("/api/v1/docs/")
    assert response.status_code == 200
    # Judge the addresses the page loads, not its text: a random CSRF token once held "cdn".
    html = response.content.decode()
    addresses = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html, re.IGNORECASE)
    assert any(a.endswith(".js") for a in addresses)  # the bundle is there, and found
    remote = [a for a in addresses if re.match(r"(?i)(https?:)?//", a) or "cdn" in a.lower()]
    assert remote == []


def test_it_answers_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
