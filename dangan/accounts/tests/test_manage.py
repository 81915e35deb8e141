"""Administration pages: users (system admin) and roles (security admin), 三员分立."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import PASSWORD, audit_actions, ensure_default_roles
from dangan.accounts import permissions as perms
from dangan.accounts import policy, services
from dangan.accounts.models import Department, Role, User
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def make_user(username: str, *roles: str, department: str = "") -> User:
    ensure_default_roles()
    user, _password = services.user_create(
        actor=None, username=username, roles=list(roles), password=PASSWORD, department=department
    )
    return user


@pytest.fixture
def sid(db: Any) -> User:
    """The security administrator."""
    return make_user("sid", "security_admin")


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_entry(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-seq").first()  # type: ignore[return-value]


# --- access --------------------------------------------------------------------------


def test_it_offers_each_administrator_only_his_cards(sam: User, sid: User) -> None:
    html = as_user(sam).get("/manage/").content.decode()
    assert "/manage/users/" in html
    assert "/manage/roles/" not in html
    html = as_user(sid).get("/manage/").content.decode()
    assert "/manage/roles/" in html
    assert "/manage/users/" not in html
    assert "账号锁定" in html


@pytest.mark.parametrize(
    "url", ["/manage/users/", "/manage/users/new/", "/manage/users/1/", "/manage/users/1/password/"]
)
def test_it_refuses_user_pages_to_everyone_but_the_system_admin(
    url: str, bob: User, ada: User, sid: User
) -> None:
    for user in (bob, ada, sid):
        assert as_user(user).get(url).status_code == 403
        assert as_user(user).post(url, {"full_name": "x", "roles": ["director"]}).status_code == 403
    assert User.objects.filter(roles__code="director").count() == 0
    assert audit_actions(action="user_update") == []
    assert "access" in audit_actions(actor_name="bob", outcome="denied")


@pytest.mark.parametrize("url", ["/manage/roles/", "/manage/roles/new/", "/manage/roles/1/"])
def test_it_refuses_role_pages_to_everyone_but_the_security_admin(
    url: str, bob: User, ada: User, sam: User
) -> None:
    for user in (bob, ada, sam):
        assert as_user(user).get(url).status_code == 403
        assert as_user(user).post(url, {"name": "x", "scope": "all"}).status_code == 403
    assert audit_actions(action__startswith="role_") == []


def test_it_refuses_the_manage_home_to_data_users(bob: User, ada: User) -> None:
    assert as_user(bob).get("/manage/").status_code == 403
    assert as_user(ada).get("/manage/").status_code == 403


# --- users ---------------------------------------------------------------------------


def test_it_lists_and_filters_users(sam: User, bob: User, dave: User, carol: User) -> None:
    client = as_user(sam)
    sales1 = Department.objects.get(name="销售一部")
    page = client.get("/manage/users/", {"department": sales1.pk}).context["page"]
    assert {u.username for u in page} == {"bob", "carol"}
    role = Role.objects.get(code="account_manager")
    page = client.get("/manage/users/", {"role": role.pk}).context["page"]
    assert {u.username for u in page} == {"bob", "dave"}
    services.user_update(actor=sam, user=dave, changes={"is_active": False})
    page = client.get("/manage/users/", {"active": "0"}).context["page"]
    assert [u.username for u in page] == ["dave"]
    page = client.get("/manage/users/", {"q": "王建"}).context["page"]
    assert [u.username for u in page] == ["bob"]


def test_it_creates_a_user_in_a_new_department_and_shows_the_password_once(sam: User) -> None:
    response = as_user(sam).post(
        "/manage/users/new/",
        {
            "username": "frank",
            "full_name": "冯凯",
            "new_department": "售后服务部",
            "roles": ["customer_service", "finance"],
        },
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    frank = User.objects.get(username="frank")
    assert frank.check_password(password)
    assert frank.department.name == "售后服务部"  # type: ignore[union-attr]
    assert {r.code for r in frank.roles.all()} == {"customer_service", "finance"}
    assert audit_actions(actor_name="sam", action="user_create") == ["user_create"]
    assert password not in str(last_entry("user_create").detail)


def test_it_creates_a_user_with_a_typed_password(sam: User) -> None:
    sales1 = Department.objects.create(name="销售一部", code="XSYB")
    response = as_user(sam).post(
        "/manage/users/new/",
        {
            "username": "gina",
            "department": sales1.pk,
            "roles": ["account_manager"],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    gina = User.objects.get(username="gina")
    assert gina.check_password(PASSWORD)
    assert gina.department == sales1
    assert audit_actions(action="user_create", object_id=str(gina.pk)) == ["user_create"]


def test_it_shows_a_weak_password_and_a_duplicate_name_in_place(sam: User, bob: User) -> None:
    response = as_user(sam).post(
        "/manage/users/new/", {"username": "bob", "roles": ["archivist"], "password": ""}
    )
    assert "已存在" in str(response.context["form"].errors["username"])
    response = as_user(sam).post(
        "/manage/users/new/", {"username": "hank", "roles": ["archivist"], "password": "123"}
    )
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(username="hank").exists()


def test_it_edits_a_user_and_records_before_and_after(sam: User, bob: User) -> None:
    response = as_user(sam).post(
        f"/manage/users/{bob.pk}/",
        {
            "full_name": "王建军",
            "new_department": "销售二部",
            "roles": ["account_manager", "dept_manager"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.full_name == "王建军"
    assert bob.department.name == "销售二部"  # type: ignore[union-attr]
    assert {r.code for r in bob.roles.all()} == {"account_manager", "dept_manager"}
    assert audit_actions(actor_name="sam", action="user_update") == ["user_update"]
    detail = last_entry("user_update").detail
    assert detail["before"] == {
        "full_name": "王建国",
        "department": "销售一部",
        "roles": ["account_manager"],
    }
    assert detail["after"]["roles"] == ["account_manager", "dept_manager"]


def test_it_deactivates_a_user(sam: User, bob: User) -> None:
    as_user(sam).post(
        f"/manage/users/{bob.pk}/",
        {"full_name": bob.full_name, "department": bob.department_id, "roles": ["account_manager"]},
    )
    bob.refresh_from_db()
    assert not bob.is_active
    assert audit_actions(actor_name="sam", action="user_deactivate") == ["user_deactivate"]
    assert last_entry("user_deactivate").detail == {
        "before": {"is_active": True},
        "after": {"is_active": False},
    }
    assert policy.permissions_of(User.objects.get(pk=bob.pk)) == frozenset()


def test_it_resets_a_password_and_shows_it_once(sam: User, bob: User) -> None:
    response = as_user(sam).post(f"/manage/users/{bob.pk}/password/", {"password": ""})
    password = response.context["password"]
    assert password in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(password)
    assert not bob.check_password(PASSWORD)
    assert audit_actions(actor_name="sam", action="password_reset") == ["password_reset"]
    assert password not in str(last_entry("password_reset").detail)


def test_it_refuses_to_change_ones_own_roles(sam: User) -> None:
    response = as_user(sam).post(
        f"/manage/users/{sam.pk}/", {"roles": ["sysadmin", "director"], "is_active": "on"}
    )
    assert response.status_code == 200
    assert "不能修改自己的角色" in str(response.context["form"].errors["roles"])
    assert {r.code for r in sam.roles.all()} == {"sysadmin"}
    assert audit_actions(action="user_update") == []


def test_it_lets_one_edit_ones_own_name(sam: User) -> None:
    as_user(sam).post(
        f"/manage/users/{sam.pk}/",
        {"full_name": "孙强强", "roles": ["sysadmin"], "is_active": "on"},
    )
    sam.refresh_from_db()
    assert sam.full_name == "孙强强"
    assert audit_actions(action="user_update") == ["user_update"]


def test_it_protects_the_last_security_admin(sam: User, sid: User) -> None:
    response = as_user(sam).post(f"/manage/users/{sid.pk}/", {"roles": ["security_admin"]})
    assert "最后一位" in str(response.context["form"].errors["is_active"])
    with pytest.raises(ApplicationError, match="最后一位"):
        services.user_update(actor=sam, user=sid, changes={"roles": ["archivist"]})
    sid.refresh_from_db()
    assert sid.is_active
    assert audit_actions(action__in=["user_update", "user_deactivate"]) == []
    # With a second security admin the first one may go.
    make_user("sue", "security_admin")
    services.user_update(actor=sam, user=sid, changes={"is_active": False})
    assert audit_actions(action="user_deactivate") == ["user_deactivate"]


def test_it_protects_the_last_system_admin(sam: User) -> None:
    with pytest.raises(ApplicationError, match="最后一位"):
        services.user_update(actor=None, user=sam, changes={"is_active": False})
    sam.refresh_from_db()
    assert sam.is_active


def test_it_refuses_giving_one_user_the_powers_of_two_officers(sam: User, ada: User) -> None:
    with pytest.raises(ApplicationError, match="不能集于同一"):
        services.user_update(actor=sam, user=ada, changes={"roles": ["auditor", "sysadmin"]})
    response = as_user(sam).post(
        "/manage/users/new/", {"username": "ivan", "roles": ["auditor", "security_admin"]}
    )
    assert "不能集于同一角色" in str(response.context["form"].errors["roles"])
    assert not User.objects.filter(username="ivan").exists()


def test_it_escapes_names_in_the_user_list(sam: User) -> None:
    user = make_user("mallory", "archivist")
    services.user_update(actor=sam, user=user, changes={"full_name": "<script>alert(1)</script>"})
    html = as_user(sam).get("/manage/users/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


# --- roles ---------------------------------------------------------------------------


def test_it_lists_roles_with_their_settings_and_user_counts(
    sid: User, bob: User, dave: User
) -> None:
    response = as_user(sid).get("/manage/roles/")
    roles = {r.code: r for r in response.context["roles"]}
    assert roles["account_manager"].user_count == 2
    html = response.content.decode()
    assert "客户经理" in html
    assert "本人客户" in html


def test_it_shows_permissions_grouped_with_chinese_labels(sid: User) -> None:
    role = Role.objects.get(code="archivist")
    html = as_user(sid).get(f"/manage/roles/{role.pk}/").content.decode()
    assert "查看客户" in html
    assert "审计" in html
    assert 'value="customer.view"' in html


def test_it_edits_a_role_and_the_policy_follows(sid: User, bob: User, bobs_customer: Any) -> None:
    ben = make_user("ben", "account_manager", department="销售一部")
    assert not policy.customers_for(ben).filter(pk=bobs_customer.pk).exists()
    role = Role.objects.get(code="account_manager")
    response = as_user(sid).post(
        f"/manage/roles/{role.pk}/",
        {
            "name": "客户经理",
            "scope": "department",
            "clearance": role.clearance,
            "permissions": role.permissions,
        },
    )
    assert response.status_code == 302
    ben = User.objects.get(pk=ben.pk)
    assert policy.customers_for(ben).filter(pk=bobs_customer.pk).exists()
    assert audit_actions(actor_name="sid", action="role_update") == ["role_update"]
    assert last_entry("role_update").detail == {
        "before": {"scope": "own"},
        "after": {"scope": "department"},
    }


def test_it_creates_a_role(sid: User) -> None:
    response = as_user(sid).post(
        "/manage/roles/new/",
        {
            "code": "front_desk",
            "name": "前台",
            "scope": "own",
            "clearance": "normal",
            "require_2fa": "on",
            "permissions": ["customer.view", "customer.create"],
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(code="front_desk")
    assert role.permissions == ["customer.create", "customer.view"]
    assert role.require_2fa
    assert audit_actions(actor_name="sid", action="role_create") == ["role_create"]


def test_it_refuses_an_unknown_permission(sid: User) -> None:
    role = Role.objects.get(code="finance")
    before = list(role.permissions)
    response = as_user(sid).post(
        f"/manage/roles/{role.pk}/",
        {"name": "财务", "scope": "all", "clearance": "secret", "permissions": ["root.everything"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["permissions"]
    with pytest.raises(ApplicationError) as exc:
        services.role_update(actor=sid, role=role, changes={"permissions": ["root.everything"]})
    assert exc.value.field == "permissions"
    role.refresh_from_db()
    assert role.permissions == before
    assert audit_actions(action="role_update") == []


@pytest.mark.parametrize(
    ("code", "added"),
    [
        ("sysadmin", perms.AUDIT_VIEW),
        ("security_admin", perms.AUDIT_VIEW),
        ("auditor", perms.USER_MANAGE),
        ("auditor", perms.ROLE_MANAGE),
    ],
)
def test_it_refuses_joining_the_three_officers_powers(sid: User, code: str, added: str) -> None:
    role = Role.objects.get(code=code)
    with pytest.raises(ApplicationError, match="不能集于同一角色"):
        services.role_update(
            actor=sid, role=role, changes={"permissions": [*role.permissions, added]}
        )
    assert added not in Role.objects.get(code=code).permissions
    assert audit_actions(action="role_update") == []


@pytest.mark.parametrize(
    "added", [perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW, perms.DOCUMENT_VIEW, perms.FILE_DOWNLOAD]
)
def test_it_refuses_role_management_with_customer_data(sid: User, added: str) -> None:
    role = Role.objects.get(code="security_admin")
    response = as_user(sid).post(
        f"/manage/roles/{role.pk}/",
        {
            "name": role.name,
            "scope": "all",
            "clearance": "normal",
            "permissions": [*role.permissions, added],
        },
    )
    assert "客户数据" in str(response.context["form"].errors["permissions"])
    assert Role.objects.get(code="security_admin").scope == "none"
    assert audit_actions(action="role_update") == []


def test_it_refuses_a_new_role_with_a_taken_or_bad_code(sid: User) -> None:
    for code in ("archivist", "Bad Code"):
        response = as_user(sid).post(
            "/manage/roles/new/",
            {"code": code, "name": "x", "scope": "none", "clearance": "normal"},
        )
        assert response.context["form"].errors["code"]
    assert audit_actions(action="role_create") == []


def test_it_keeps_someone_able_to_manage_roles(sid: User) -> None:
    role = Role.objects.get(code="security_admin")
    with pytest.raises(ApplicationError, match="没有其他在用账号"):
        services.role_update(actor=sid, role=role, changes={"permissions": [perms.SECURITY_MANAGE]})
    assert perms.ROLE_MANAGE in Role.objects.get(code="security_admin").permissions
    assert audit_actions(action="role_update") == []
