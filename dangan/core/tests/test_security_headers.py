"""Headers and switches (#22): no-store on everything that is not a static file, the
Content-Security-Policy, HSTS and Secure cookies on demand, and the client address read
from X-Forwarded-For from the right, past the trusted proxies only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from dangan.audit.middleware import request_ip, trusted_networks

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_api_answers_and_exports_are_never_stored(alice: Any, bobs_customer: Any) -> None:
    client = _client(alice)
    for path in ("/", "/customers/", f"/customers/{bobs_customer.pk}/", "/login/"):
        response = client.get(path)
        assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    api = APIClient()
    api.force_authenticate(alice)
    response = api.get("/api/v1/customers/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    response = client.get("/nowhere/")
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]


def test_every_page_carries_the_content_security_policy(alice: Any) -> None:
    response = _client(alice).get("/customers/")
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "Strict-Transport-Security" not in response


def test_hsts_is_sent_when_asked(alice: Any, settings: Any) -> None:
    settings.DANGAN_HSTS_SECONDS = 31536000
    assert _client(alice).get("/")["Strict-Transport-Security"] == "max-age=31536000"


def test_no_template_has_inline_script_or_handlers() -> None:
    """What the CSP refuses, caught before a browser would: <script> without src and on*
    attributes in every template."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=\s*[\"']", text
        ):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


def test_secure_cookies_switch() -> None:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangan.settings';"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE,"
        " s.DANGAN_HSTS_SECONDS)"
    )
    env = {**os.environ, "DANGAN_SECURE_COOKIES": "1", "DANGAN_HSTS_SECONDS": "600"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "True", "True", "600"]


def _ip(remote: str, forwarded: str | None, **kwargs: Any) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return request_ip(RequestFactory().get("/", **meta), **kwargs)


def test_the_client_address_is_read_from_the_right_past_trusted_proxies() -> None:
    proxies = trusted_networks(["10.0.0.0/8", "192.168.1.5"])
    # No proxy named: the header is ignored (clients write anything in it).
    assert _ip("203.0.113.9", "1.1.1.1") == "203.0.113.9"
    # A forged left part is skipped: the proxy appended what it saw.
    assert _ip("10.0.0.2", "1.1.1.1, 203.0.113.9", proxies=proxies) == "203.0.113.9"
    # Two proxies: the rightmost non-proxy address.
    assert _ip("10.0.0.2", "6.6.6.6, 203.0.113.9, 192.168.1.5", proxies=proxies) == "203.0.113.9"
    # A request that did not come through a trusted proxy: its own address.
    assert _ip("198.51.100.7", "1.1.1.1", proxies=proxies) == "198.51.100.7"
    # Garbage in the header is never taken for an address.
    assert _ip("10.0.0.2", "<script>", proxies=proxies) == "10.0.0.2"
    assert _ip("10.0.0.2", None, proxies=proxies) == "10.0.0.2"
    # The older switch: one proxy, whatever its address; the address it saw.
    assert _ip("172.16.0.1", "1.1.1.1, 203.0.113.9", trust_forwarded=True) == "203.0.113.9"


def test_a_wrong_proxy_entry_stops_the_start() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        trusted_networks(["10.0.0.0/8", "not-an-address"])


def test_the_audit_trail_and_lockout_see_the_proxied_client(alice: Any, settings: Any) -> None:
    from dangan.audit.models import AuditEntry

    settings.DANGAN_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")
    client.post("/login/", {"username": "alice", "password": "wrong"})
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.ip == "203.0.113.9"
