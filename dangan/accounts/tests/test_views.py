"""Login, logout, language switch and the home redirect."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import PASSWORD, audit_actions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # conftest sets DANGAN_STATIC_PLAIN after pytest-django has imported the settings,
    # so pages would look for a collectstatic manifest that tests never build.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_it_renders_the_login_page_in_chinese(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "登录" in html
    assert 'lang="zh-CN"' in html
    assert "用户名" in html


def test_it_logs_in_and_records_it(client: Client, bob: Any) -> None:
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert audit_actions(actor_name="bob", action="login") == ["login"]


def test_it_stays_on_the_page_after_a_wrong_password(client: Client, bob: Any) -> None:
    from dangan.audit.models import AuditEntry

    response = client.post("/login/", {"username": "bob", "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    entry = AuditEntry.objects.get(action="login")
    assert entry.outcome == "failed"
    assert entry.object_repr == "bob"
    assert "_auth_user_id" not in client.session


def test_it_never_logs_the_password(client: Client, bob: Any) -> None:
    from dangan.audit.models import AuditEntry

    client.post("/login/", {"username": "bob", "password": "secret-typo-123"})
    for entry in AuditEntry.objects.all():
        assert "secret-typo-123" not in str(entry.detail) + entry.object_repr


def test_it_refuses_a_login_without_csrf_token(bob: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_it_logs_out(bob: Any) -> None:
    client = Client()
    client.force_login(bob)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "logout" in audit_actions(actor_name="bob")
    assert client.get("/customers/").status_code == 302


def test_it_switches_the_language(bob: Any) -> None:
    client = Client()
    client.force_login(bob)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    page = client.get("/customers/")
    assert page.status_code == 200
    assert 'lang="en"' in page.content.decode()


def test_everyone_starts_on_their_home_page(bob: Any, sam: Any, ada: Any) -> None:
    for user in (bob, sam, ada):
        client = Client()
        client.force_login(user)
        page = client.get("/")
        assert page.status_code == 200
        assert f"您好,{user}" in page.content.decode()


def test_the_menu_follows_each_users_permissions_and_their_changes(
    client: Client, ada: Any, eve: Any, sam: Any
) -> None:
    """base.html keeps the menu's links in the cache under the permissions they depend
    on: users with other permissions, or whose roles change, see their own menu."""
    from dangan.accounts.services import user_update

    audit_link = 'href="/audit/"'
    client.force_login(ada)  # auditor: may read the audit trail
    assert audit_link in client.get("/search/?q=张三").content.decode()
    client.force_login(eve)  # business staff: may not
    assert audit_link not in client.get("/search/?q=张三").content.decode()
    user_update(actor=sam, user=eve, changes={"roles": ["business_staff", "auditor"]})
    assert audit_link in client.get("/search/?q=张三").content.decode()
