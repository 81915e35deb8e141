"""Login-security services and pages: password rules, lockout and unlock, the security
page (password, two-factor enrolment, API tokens) and the administrators' pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD, audit_actions
from dangan.accounts import security
from dangan.accounts.models import ApiToken, Lockout, LoginAttempt, User
from dangan.core import crypto
from dangan.core.errors import ApplicationError, Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec(db: Any) -> Any:
    from conftest import ensure_default_roles
    from dangan.accounts.services import user_create

    ensure_default_roles()
    user, _password = user_create(
        actor=None, username="sec", roles=["security_admin"], password=PASSWORD
    )
    return user


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as exc:
        return list(exc.messages)
    return []


# --- password rules --------------------------------------------------------------------


def test_it_refuses_a_short_password_in_chinese() -> None:
    found = messages_of("Ab1!x")
    assert any("至少需要 8 个字符" in m for m in found), found


def test_it_refuses_a_password_with_fewer_than_three_classes() -> None:
    found = messages_of("zhanghumima2026")
    assert any("至少 3 类" in m for m in found), found
    assert messages_of("ZHANGHU-MIMA") != []


def test_it_accepts_three_of_four_classes() -> None:
    assert messages_of(PASSWORD) == []
    assert messages_of("Zhanghumima2026") == []  # upper, lower, digit
    assert messages_of("zhanghu-mima-2026") == []  # lower, symbol, digit


def test_it_keeps_djangos_own_validators() -> None:
    assert messages_of("Password1!") != []  # a common password


def test_it_explains_the_rules_in_chinese() -> None:
    texts = " ".join(str(t) for t in password_validators_help_texts())
    assert "大写字母、小写字母、数字、符号中的至少 3 类" in texts


def test_it_changes_my_password(bob: Any) -> None:
    client = client_for(bob)
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xin-Mima-2027",
            "new_password2": "Xin-Mima-2027",
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("Xin-Mima-2027")
    assert bob.password_changed_at is not None
    assert audit_actions(actor_name="bob", action="password_change") == ["password_change"]
    assert client.get("/account/security/").status_code == 200  # still signed in


def test_it_refuses_a_wrong_old_password(bob: Any) -> None:
    response = client_for(bob).post(
        "/account/password/",
        {
            "old_password": "nope",
            "new_password1": "Xin-Mima-2027",
            "new_password2": "Xin-Mima-2027",
        },
    )
    assert response.status_code == 200
    assert "原密码不正确" in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    assert audit_actions(action="password_change") == []


def test_it_refuses_a_weak_new_password(bob: Any) -> None:
    response = client_for(bob).post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert "至少 3 类" in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_it_refuses_two_different_new_passwords(bob: Any) -> None:
    response = client_for(bob).post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xin-Mima-2027",
            "new_password2": "Xin-Mima-2028",
        },
    )
    assert "两次输入的新密码不一致" in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


# --- lockout services ------------------------------------------------------------------


def fail(n: int, username: str = "bob", ip: str = "10.0.0.1") -> Lockout | None:
    lock = None
    for _ in range(n):
        lock = security.login_failed(username=username, ip=ip) or lock
    return lock


def test_it_locks_an_account_after_five_failures(bob: Any) -> None:
    assert fail(4, ip="10.0.0.1") is None
    lock = security.login_failed(username="bob", ip="10.0.0.2")
    assert lock is not None
    assert (lock.kind, lock.key) == ("account", "bob")
    assert security.active_lockout(username="bob", ip="10.9.9.9") == lock
    assert audit_actions(action="lockout") == ["lockout"]
    assert audit_actions(action="login", outcome="failed") == ["login"] * 5


def test_it_locks_an_address_only_after_many_more_failures_than_an_account(db: Any) -> None:
    names = [f"a{n}" for n in range(security.MIN_IP_ATTEMPTS * 2)]
    rules = security.lockout_policy()
    assert rules.ip_attempts >= 20
    assert rules.window == timedelta(minutes=15)
    for name in names[: rules.ip_attempts - 1]:
        security.login_failed(username=name, ip="10.0.0.7")
    assert security.active_lockout(username="someone", ip="10.0.0.7") is None
    security.login_failed(username=names[rules.ip_attempts], ip="10.0.0.7")
    lock = security.active_lockout(username="someone", ip="10.0.0.7")
    assert lock is not None
    assert (lock.kind, lock.key) == ("ip", "10.0.0.7")
    assert security.active_lockout(username="someone", ip="10.0.0.8") is None
    assert audit_actions(action="lockout") == ["lockout"]


def test_it_keeps_the_address_open_when_one_account_is_attacked(bob: Any, sec: Any) -> None:
    lock = fail(5, username="bob", ip="10.0.0.7")
    assert lock is not None and lock.kind == "account"
    assert Lockout.objects.filter(kind="ip").count() == 0
    # The security administrator (or anyone else) at the same address is not locked.
    assert security.active_lockout(username="sec", ip="10.0.0.7") is None


def test_it_never_tells_an_untouched_account_it_is_locked(db: Any, settings: Any) -> None:
    settings.DANGAN_LOCKOUT_IP_ATTEMPTS = 1  # below the floor: 20 still hold
    assert security.lockout_policy().ip_attempts == security.MIN_IP_ATTEMPTS
    for n in range(security.MIN_IP_ATTEMPTS):
        security.login_failed(username=f"x{n}", ip="10.0.0.9")
    lock = security.active_lockout(username="sec", ip="10.0.0.9")
    assert lock is not None and lock.kind == "ip"
    message = security.locked_message(lock)
    assert "账号已被锁定" not in message
    assert message.startswith("本地址登录失败过多")


def test_it_counts_only_failures_within_the_window(bob: Any) -> None:
    old = timezone.now() - timedelta(minutes=16)
    LoginAttempt.objects.bulk_create(
        [LoginAttempt(username="bob", ip="10.0.0.1", at=old) for _ in range(4)]
    )
    assert security.login_failed(username="bob", ip="10.0.0.1") is None


def test_it_counts_account_failures_after_the_last_success(bob: Any) -> None:
    for n in range(4):
        security.login_failed(username="bob", ip=f"10.0.1.{n}")
    security.login_succeeded(user=bob, ip="10.0.2.1")
    for n in range(4):
        security.login_failed(username="bob", ip=f"10.0.3.{n}")
    assert security.active_lockout(username="bob", ip="10.0.4.1") is None


def test_it_reads_the_limits_from_settings(bob: Any, settings: Any) -> None:
    settings.DANGAN_LOCKOUT_ATTEMPTS = 2
    settings.DANGAN_LOCKOUT_MINUTES = 60
    lock = fail(2, ip="")
    assert lock is not None
    assert lock.until - lock.locked_at == timedelta(minutes=60)


def test_it_ends_a_lock_when_it_expires(bob: Any) -> None:
    lock = fail(5, ip="")
    assert lock is not None
    Lockout.objects.filter(pk=lock.pk).update(until=timezone.now() - timedelta(seconds=1))
    assert security.active_lockout(username="bob", ip="") is None


def test_it_lets_the_security_admin_lift_a_lock(bob: Any, sec: Any) -> None:
    lock = fail(5, ip="")
    assert lock is not None
    security.lockout_lift(actor=sec, lockout=lock)
    assert security.active_lockout(username="bob", ip="") is None
    lock.refresh_from_db()
    assert lock.lifted_by == sec
    assert audit_actions(actor_name="sec", action="unlock") == ["unlock"]
    # The slate is clean: one more failure does not lock again at once.
    assert security.login_failed(username="bob", ip="") is None


def test_it_refuses_unlocking_without_the_permission(bob: Any, sam: Any) -> None:
    lock = fail(5)
    assert lock is not None
    with pytest.raises(Forbidden):
        security.lockout_lift(actor=sam, lockout=lock)
    assert security.active_lockout(username="bob", ip="") is not None
    assert audit_actions(action="unlock") == []


# --- lockout page ------------------------------------------------------------------------


def test_it_lists_locks_and_failures_for_the_security_admin(bob: Any, sec: Any) -> None:
    fail(5, ip="10.0.0.3")
    html = client_for(sec).get("/account/lockouts/").content.decode()
    assert "账号锁定" in html
    assert "10.0.0.3" in html
    assert "解锁" in html


def test_it_unlocks_from_the_page(bob: Any, sec: Any) -> None:
    lock = fail(5, ip="")
    assert lock is not None
    response = client_for(sec).post(f"/account/lockouts/{lock.pk}/unlock/")
    assert response.status_code == 302
    assert security.active_lockout(username="bob", ip="") is None
    assert audit_actions(actor_name="sec", action="unlock") == ["unlock"]
    assert Client().post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("persona", ["alice", "bob", "sam", "ada"])
def test_it_forbids_the_lockout_page_to_others(persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    lock = fail(5, username="someone", ip="")
    assert lock is not None
    client = client_for(user)
    assert client.get("/account/lockouts/").status_code == 403
    assert client.post(f"/account/lockouts/{lock.pk}/unlock/").status_code == 403
    assert security.active_lockout(username="someone", ip="") is not None
    assert audit_actions(action="unlock") == []


def test_it_sends_anonymous_visitors_of_the_lockout_page_to_login(db: Any) -> None:
    response = Client().get("/account/lockouts/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- two-factor enrolment on the security page ------------------------------------------


def secret_of(user: Any) -> str:
    user.refresh_from_db()
    return crypto.decrypt(user.totp_secret_encrypted)


def test_it_enrols_two_factor_login(bob: Any) -> None:
    client = client_for(bob)
    page = client.get("/account/2fa/setup/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    secret = secret_of(bob)
    assert secret not in bob.totp_secret_encrypted  # stored encrypted
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert not bob.totp_enabled

    response = client.post("/account/2fa/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.totp_enabled
    assert audit_actions(actor_name="bob", action="2fa_enabled") == ["2fa_enabled"]


def test_it_keeps_two_factor_off_after_a_wrong_code(bob: Any) -> None:
    client = client_for(bob)
    client.get("/account/2fa/setup/")
    secret = secret_of(bob)
    wrong = str((int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000).zfill(6)
    response = client.post("/account/2fa/setup/", {"code": wrong})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    bob.refresh_from_db()
    assert not bob.totp_enabled
    assert audit_actions(action="2fa_enabled") == []


def enrol(user: Any) -> str:
    secret = security.totp_setup_begin(actor=user)
    security.totp_enable(actor=user, code=pyotp.TOTP(secret).now())
    return secret


def test_it_disables_two_factor_login_with_a_current_code(bob: Any) -> None:
    secret = enrol(bob)
    client = client_for(bob)
    assert client.post("/account/2fa/disable/", {"code": "000000"}).status_code == 200
    bob.refresh_from_db()
    assert bob.totp_enabled
    response = client.post("/account/2fa/disable/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.totp_enabled
    assert bob.totp_secret_encrypted == ""
    assert audit_actions(actor_name="bob", action="2fa_disabled") == ["2fa_disabled"]


def test_it_refuses_disabling_two_factor_a_role_requires(sec: Any) -> None:
    from dangan.accounts.models import Role

    secret = enrol(sec)
    Role.objects.filter(code="security_admin").update(require_2fa=True)
    sec = User.objects.get(pk=sec.pk)
    with pytest.raises(ApplicationError):
        security.totp_disable(actor=sec, code=pyotp.TOTP(secret).now())
    sec.refresh_from_db()
    assert sec.totp_enabled


# --- API tokens ------------------------------------------------------------------------


def test_it_creates_a_token_shown_once(bob: Any) -> None:
    client = client_for(bob)
    response = client.post("/account/tokens/new/", {"name": "报表脚本"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=bob)
    html = response.content.decode()
    assert token.prefix in html
    assert "只显示这一次" in html
    assert "no-store" in response["Cache-Control"]
    assert audit_actions(actor_name="bob", action="token_create") == ["token_create"]
    page = client.get("/account/security/").content.decode()
    assert "报表脚本" in page
    assert "只显示这一次" not in page


def test_it_revokes_my_token_and_the_api_refuses_it(bob: Any) -> None:
    from dangan.accounts.services import token_create

    token = token_create(actor=bob, user=bob, name="cli")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/me/", **auth).status_code == 200
    row = ApiToken.objects.get(user=bob)
    response = client_for(bob).post(f"/account/tokens/{row.pk}/revoke/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert audit_actions(actor_name="bob", action="token_revoke") == ["token_revoke"]
    assert Client().get("/api/v1/me/", **auth).status_code == 401


def test_it_hides_other_users_tokens(alice: Any, bob: Any) -> None:
    from dangan.accounts.services import token_create

    token_create(actor=alice, user=alice, name="alice-token")
    row = ApiToken.objects.get(user=alice)
    client = client_for(bob)
    assert "alice-token" not in client.get("/account/security/").content.decode()
    assert client.post(f"/account/tokens/{row.pk}/revoke/").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert audit_actions(action="token_revoke") == []
    assert client.get("/account/tokens/").status_code == 403
    assert client.get(f"/account/tokens/?user={alice.pk}").status_code == 403


def test_it_lets_a_token_manager_see_and_revoke_anyones_tokens(bob: Any, sam: Any) -> None:
    from dangan.accounts.services import token_create

    token_create(actor=bob, user=bob, name="bob-token")
    row = ApiToken.objects.get(user=bob)
    client = client_for(sam)
    page = client.get(f"/account/tokens/?user={bob.pk}")
    assert page.status_code == 200
    assert row.prefix in page.content.decode()
    assert "bob-token" in client.get("/account/tokens/").content.decode()
    response = client.post(f"/account/tokens/{row.pk}/revoke/")
    assert response.status_code == 302
    assert f"user={bob.pk}" in response["Location"]
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert audit_actions(actor_name="sam", action="token_revoke") == ["token_revoke"]


def test_it_answers_not_found_for_an_unknown_token_owner(sam: Any) -> None:
    assert client_for(sam).get("/account/tokens/?user=99999").status_code == 404
    assert client_for(sam).get("/account/tokens/?user=x").status_code == 404


def test_it_renders_the_security_page(bob: Any) -> None:
    html = client_for(bob).get("/account/security/").content.decode()
    for text in ("修改密码", "双因素登录", "API 令牌", "创建令牌"):
        assert text in html
