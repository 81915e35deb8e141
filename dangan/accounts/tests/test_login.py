"""The login flow: lockout at the door, two-factor step, idle timeout and CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD, audit_actions
from dangan.accounts import security
from dangan.accounts.models import Lockout, LoginAttempt, Role, User
from dangan.audit.models import AuditEntry
from dangan.core import crypto

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def errors_of(response: Any) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


@pytest.fixture
def sec(db: Any) -> Any:
    from conftest import ensure_default_roles
    from dangan.accounts.services import user_create

    ensure_default_roles()
    user, _password = user_create(
        actor=None, username="sec", roles=["security_admin"], password=PASSWORD
    )
    return user


# --- failures and lockout ----------------------------------------------------------------


def test_it_gives_the_same_answer_for_an_unknown_user_and_a_wrong_password(bob: Any) -> None:
    wrong = errors_of(login(Client(), "bob", "wrong-password", ip="10.0.0.1"))
    unknown = errors_of(login(Client(), "nobody", "wrong-password", ip="10.0.0.2"))
    assert wrong == unknown == ["用户名或密码不正确。"]


def test_it_locks_the_account_after_five_failures(bob: Any) -> None:
    for n in range(4):
        response = login(Client(), "bob", "wrong-password", ip=f"10.0.0.{n}")
        assert "账号已被锁定" not in response.content.decode()
    response = login(Client(), "bob", "wrong-password", ip="10.0.0.9")
    assert "账号已被锁定" in response.content.decode()
    assert audit_actions(action="lockout") == ["lockout"]


def test_it_refuses_a_locked_account_even_with_the_right_password(bob: Any) -> None:
    for n in range(5):
        login(Client(), "bob", "wrong-password", ip=f"10.0.0.{n}")
    client = Client()
    response = login(client, "bob", PASSWORD, ip="10.1.1.1")
    assert response.status_code == 200
    message = errors_of(response)[0]
    assert message.startswith("账号已被锁定,请于 ")
    assert message.endswith(" 后重试或联系安全管理员")
    assert not signed_in(client)
    denied = AuditEntry.objects.filter(action="login", outcome="denied")
    assert [e.object_repr for e in denied] == ["bob"]
    # A refused attempt is not another failure: it neither extends nor adds a lock.
    assert LoginAttempt.objects.filter(username="bob").count() == 5


def test_it_shows_the_time_the_lock_ends(bob: Any) -> None:
    for n in range(5):
        login(Client(), "bob", "wrong-password", ip=f"10.0.0.{n}")
    lock = security.active_lockout(username="bob", ip="")
    assert lock is not None
    until = timezone.localtime(lock.until).strftime("%H:%M")
    assert f"请于 {until} 后重试" in errors_of(login(Client(), "bob", PASSWORD, ip="10.2.2.2"))[0]


def test_it_does_not_lock_other_accounts_after_five_failures_from_one_address(
    bob: Any, sec: Any
) -> None:
    for _ in range(5):
        login(Client(), "bob", "wrong-password", ip="10.0.0.50")
    client = Client()
    response = login(client, "sec", PASSWORD, ip="10.0.0.50")
    assert response.status_code == 302
    assert signed_in(client)


def test_it_locks_an_address_after_many_failures_without_blaming_the_account(bob: Any) -> None:
    for n in range(security.lockout_policy().ip_attempts):
        login(Client(), f"u{n}", "wrong-password", ip="10.0.0.50")
    client = Client()
    response = login(client, "bob", PASSWORD, ip="10.0.0.50")
    html = response.content.decode()
    assert "账号已被锁定" not in html
    assert "本地址登录失败过多" in html
    assert not signed_in(client)
    assert login(Client(), "bob", PASSWORD, ip="10.0.0.51").status_code == 302


def test_it_logs_in_after_the_security_admin_unlocks(bob: Any, sec: Any) -> None:
    for n in range(5):
        login(Client(), "bob", "wrong-password", ip=f"10.0.0.{n}")
    lock = security.active_lockout(username="bob", ip="")
    assert lock is not None
    admin = Client()
    admin.force_login(sec)
    admin.post(f"/account/lockouts/{lock.pk}/unlock/")
    assert audit_actions(action="unlock") == ["unlock"]
    client = Client()
    assert login(client, "bob", PASSWORD, ip="10.3.3.3").status_code == 302
    assert signed_in(client)


def test_it_refuses_a_login_post_without_csrf_token(bob: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = login(client, "bob", PASSWORD)
    assert response.status_code == 403
    assert not signed_in(client)
    assert audit_actions(action="login") == []


def test_it_records_a_successful_login_as_an_attempt(bob: Any) -> None:
    assert login(Client(), "bob", PASSWORD).status_code == 302
    assert LoginAttempt.objects.filter(username="bob", succeeded=True).count() == 1
    assert audit_actions(actor_name="bob", action="login") == ["login"]


# --- two-factor login -------------------------------------------------------------------


def enrol(user: Any) -> str:
    secret = security.totp_setup_begin(actor=user)
    security.totp_enable(actor=user, code=pyotp.TOTP(secret).now())
    return secret


def wrong_code(secret: str) -> str:
    return str((int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000).zfill(6)


def test_it_asks_for_the_code_after_the_password(bob: Any) -> None:
    secret = enrol(bob)
    client = Client()
    response = login(client, "bob", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/login/2fa/"
    assert not signed_in(client)
    assert audit_actions(action="login") == []
    page = client.get("/login/2fa/")
    assert "双因素验证" in page.content.decode()
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert signed_in(client)
    assert audit_actions(actor_name="bob", action="login") == ["login"]


def test_it_keeps_the_next_page_through_the_second_step(bob: Any) -> None:
    secret = enrol(bob)
    client = Client()
    client.post("/login/", {"username": "bob", "password": PASSWORD, "next": "/customers/"})
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/customers/"


def test_it_refuses_a_wrong_code(bob: Any) -> None:
    secret = enrol(bob)
    client = Client()
    login(client, "bob", PASSWORD)
    response = client.post("/login/2fa/", {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert not signed_in(client)
    assert audit_actions(action="2fa_failed") == ["2fa_failed"]
    assert audit_actions(action="login") == []
    assert LoginAttempt.objects.filter(username="bob", succeeded=False).count() == 1


def test_it_locks_the_account_after_five_wrong_codes(bob: Any) -> None:
    secret = enrol(bob)
    client = Client()
    login(client, "bob", PASSWORD)
    for _ in range(4):
        client.post("/login/2fa/", {"code": wrong_code(secret)})
    response = client.post("/login/2fa/", {"code": wrong_code(secret)}, follow=True)
    assert "账号已被锁定" in response.content.decode()
    # Five failures lock the account only: the address is shared by the whole office.
    assert sorted(Lockout.objects.values_list("kind", flat=True)) == ["account"]
    assert audit_actions(action="lockout") == ["lockout"]
    # The pending login is gone: even the right code now needs the password again.
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not signed_in(client)


def test_it_sends_a_visitor_without_a_pending_login_back(db: Any) -> None:
    response = Client().get("/login/2fa/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_it_expires_a_pending_second_step(bob: Any) -> None:
    secret = enrol(bob)
    client = Client()
    login(client, "bob", PASSWORD)
    session = client.session
    pending = session["dangan_2fa_pending"]
    pending["started"] -= 3600
    session["dangan_2fa_pending"] = pending
    session.save()
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/login/"
    assert not signed_in(client)


def test_it_makes_a_role_that_requires_two_factor_enrol_first(sec: Any) -> None:
    Role.objects.filter(code="security_admin").update(require_2fa=True)
    client = Client()
    response = login(client, "sec", PASSWORD)
    assert response["Location"] == "/login/2fa/"
    page = client.get("/login/2fa/").content.decode()
    assert "启用双因素登录" in page
    assert "<svg" in page
    assert not signed_in(client)
    user = User.objects.get(username="sec")
    secret = crypto.decrypt(user.totp_secret_encrypted)
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert signed_in(client)
    user.refresh_from_db()
    assert user.totp_enabled
    assert audit_actions(actor_name="sec") == ["2fa_enabled", "login"]


def test_it_refuses_the_second_step_without_csrf_token(bob: Any) -> None:
    secret = enrol(bob)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    client.post("/login/", {"username": "bob", "password": PASSWORD, "csrfmiddlewaretoken": token})
    response = client.post("/login/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 403
    assert not signed_in(client)


# --- idle timeout ----------------------------------------------------------------------


def test_it_logs_out_a_session_idle_longer_than_the_limit(bob: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    client.force_login(bob)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert client.get("/account/security/").status_code == 200
    # A request pushes the expiry forward (at most once a minute): the age counts from
    # the last request.
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + timedelta(minutes=29)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/account/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_sends_the_django_admin_login_through_our_login(client: Any) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
