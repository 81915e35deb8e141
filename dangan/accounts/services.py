"""Users, departments and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import ApiToken, Department, Role, User
from dangan.audit.services import audit_record
from dangan.core.errors import ApplicationError

TOKEN_PREFIX = "dgn_"  # noqa: S105 - a public marker, not a secret
_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


def generate_password() -> str:
    """A random initial password that always meets the 3-of-4 character-class rule."""
    return secrets.token_urlsafe(12) + "-Aa1"


def department_code_for(name: str) -> str:
    """Initials of the name in pinyin, e.g. 销售一部 → XSYB (used by {dept} in archive numbers)."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))
    code = re.sub(r"[^A-Za-z0-9]", "", letters).upper()[:12] or "DEPT"
    candidate, n = code, 2
    while Department.objects.filter(code=candidate).exists():
        candidate, n = f"{code}{n}", n + 1
    return candidate


def department_ensure(*, name: str, code: str = "") -> Department:
    name = name.strip()
    if not name:
        raise ApplicationError(_("请填写部门名称"), field="department")
    found = Department.objects.filter(name=name).first() or (
        Department.objects.filter(code=code.upper()).first() if code else None
    )
    if found:
        return found
    return Department.objects.create(name=name, code=(code.upper() or department_code_for(name)))


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    roles: list[str],
    password: str | None = None,
    department: str = "",
    full_name: str = "",
) -> tuple[User, str]:
    """Create a user. `actor` None means the operator at the server's console (CLI).

    Returns the user and the password (generated when none was given)."""
    if actor is not None:
        policy.require(actor, perms.USER_MANAGE)
    if not _USERNAME.match(username):
        raise ApplicationError(_("用户名应为2到150位字母、数字或 _.@+-"), field="username")
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("用户名“%(u)s”已存在") % {"u": username}, field="username")
    found = list(Role.objects.filter(code__in=roles))
    unknown = set(roles) - {r.code for r in found}
    if unknown or not roles:
        raise ApplicationError(
            _("未知角色:%(r)s(可选:%(all)s)")
            % {"r": ", ".join(sorted(unknown)) or "-", "all": ", ".join(perms.ROLE_CODES)},
            field="role",
        )
    duties_check({code for role in found for code in role.permissions}, field="roles")
    generated = password is None
    password = password if password is not None else generate_password()
    user = User(username=username, full_name=full_name.strip())
    if not generated:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="password") from None
    user.department = department_ensure(name=department) if department else None
    user.set_password(password)
    user.save()
    user.roles.set(found)
    audit_record(
        actor=actor,
        action="user_create",
        obj=user,
        detail={"roles": sorted(roles), "department": department},
    )
    return user, password


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> str:
    """Issue a bearer token; only its hash is kept, so this is the one time it is seen."""
    if actor is not None and actor.pk != user.pk:
        policy.require(actor, perms.USER_MANAGE)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name[:64], prefix=token[:12], key_hash=_hash_token(token)
    )
    audit_record(actor=actor, action="token_create", obj=user, detail={"prefix": token[:12]})
    return token


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        policy.require(actor, perms.USER_TOKENS)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="token_revoke", obj=token.user, detail={"prefix": token.prefix}
        )


def token_authenticate(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy API client should not write on every call.
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


# --- Administration: users (system admin) and roles (security admin) -----------------

# 三员分立 (STANDARDS 42): the powers of the system admin, the security admin and the
# auditor never meet in one role, nor in one user's roles.
_ADMIN_POWERS = frozenset({perms.USER_MANAGE, perms.ROLE_MANAGE})
_AUDIT_POWERS = frozenset({perms.AUDIT_VIEW, perms.AUDIT_EXPORT})
_CUSTOMER_DATA_PREFIXES = ("customer.", "dossier.", "document.", "file.")
# Powers that must always stay with at least one active account, or nobody could
# manage users (or roles) through the UI any more.
_KEEP_HOLDER = (perms.ROLE_MANAGE, perms.USER_MANAGE)
USER_FIELDS = ("full_name", "department", "roles", "is_active")
ROLE_FIELDS = ("name", "scope", "clearance", "field_limited", "require_2fa", "permissions")


def duties_check(codes: set[str] | frozenset[str], *, field: str = "permissions") -> None:
    """Refuse a combination of permissions that breaks the separation of duties."""
    if codes & _ADMIN_POWERS and codes & _AUDIT_POWERS:
        raise ApplicationError(
            _("系统管理员、安全管理员与审计员的权限不能集于同一角色"), field=field
        )
    if perms.ROLE_MANAGE in codes and any(c.startswith(_CUSTOMER_DATA_PREFIXES) for c in codes):
        raise ApplicationError(_("管理角色与权限不能与客户数据权限集于同一角色"), field=field)


def _codes(value: object, *, field: str) -> list[str]:
    """A list of codes from a service argument (a list from a form or a JSON body)."""
    if not isinstance(value, list | tuple | set | frozenset):
        raise ApplicationError(_("应为代码列表"), field=field)
    return [str(code) for code in value]


def _roles_by_code(codes: list[str]) -> list[Role]:
    found = list(Role.objects.filter(code__in=codes))
    unknown = set(codes) - {r.code for r in found}
    if unknown:
        raise ApplicationError(
            _("未知角色:%(r)s") % {"r": ", ".join(sorted(unknown))}, field="roles"
        )
    return found


def _holders(code: str) -> set[int]:
    """Active users who hold `code` through any role (roles are few: filter in Python,
    which also works where the database has no JSON containment)."""
    role_ids = [r.pk for r in Role.objects.all() if code in r.permissions]
    return set(User.objects.filter(is_active=True, roles__in=role_ids).values_list("pk", flat=True))


def _keep_last_holder(user: User, *, roles: list[Role], active: bool) -> None:
    after = {code for role in roles for code in role.permissions} if active else set()
    for code in _KEEP_HOLDER:
        holders = _holders(code)
        if user.pk in holders and code not in after and holders == {user.pk}:
            raise ApplicationError(
                _("“%(user)s”是最后一位可“%(perm)s”的在用账号,不能停用或撤销其角色")
                % {"user": user.username, "perm": perms.LABELS[code]},
                field="is_active" if not active else "roles",
            )


def _department_name(user: User) -> str:
    return user.department.name if user.department is not None else ""


def _user_state(user: User) -> dict[str, object]:
    return {
        "full_name": user.full_name,
        "department": _department_name(user),
        "roles": sorted(r.code for r in user.roles.all()),
        "is_active": user.is_active,
    }


@transaction.atomic
def user_update(*, actor: User | None, user: User, changes: dict[str, object]) -> User:
    """Change a user's name, department (a name; created when new), roles (codes) or
    active flag. Deactivating is `changes={"is_active": False}`."""
    if actor is not None:
        policy.require(actor, perms.USER_MANAGE)
    unknown_fields = set(changes) - set(USER_FIELDS)
    if unknown_fields:
        raise ApplicationError(_("不可修改的字段"), field=sorted(unknown_fields)[0])
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _user_state(user)
    held = {role.code for role in user.roles.all()}
    roles = (
        _roles_by_code(_codes(changes["roles"], field="roles"))
        if "roles" in changes
        else list(user.roles.all())
    )
    if "roles" in changes and not roles:
        raise ApplicationError(_("请至少选择一个角色"), field="roles")
    active = bool(changes.get("is_active", user.is_active))
    is_self = actor is not None and actor.pk == user.pk
    if is_self and {r.code for r in roles} != held:
        raise ApplicationError(_("不能修改自己的角色"), field="roles")
    if is_self and not active:
        raise ApplicationError(_("不能停用自己的账号"), field="is_active")
    duties_check({c for r in roles for c in r.permissions}, field="roles")
    _keep_last_holder(user, roles=roles, active=active)

    if "full_name" in changes:
        user.full_name = str(changes["full_name"]).strip()[:64]
    if "department" in changes:
        name = str(changes["department"] or "").strip()
        user.department = department_ensure(name=name) if name else None
    user.is_active = active
    user.save(update_fields=["full_name", "department", "is_active"])
    if "roles" in changes:
        user.roles.set(roles)
    if hasattr(user, "_policy_roles"):
        del user._policy_roles
    after = _user_state(user)
    changed = [key for key in USER_FIELDS if before[key] != after[key]]
    if changed:
        audit_record(
            actor=actor,
            action="user_deactivate" if before["is_active"] and not active else "user_update",
            obj=user,
            detail={
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str | None = None) -> str:
    """Set (or generate) a user's password; returns it so it can be shown once.

    The password never enters the audit trail."""
    if actor is not None:
        policy.require(actor, perms.USER_MANAGE)
    user = User.objects.select_for_update().get(pk=user.pk)
    generated = password is None
    if password is None:
        password = generate_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    # A password an administrator set is known to two people: expire it at once
    # (password_changed_at None) so the user picks his own at the next login.
    user.password_changed_at = None
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, action="password_reset", obj=user, detail={"generated": generated})
    return password


def _role_state(role: Role) -> dict[str, object]:
    return {key: getattr(role, key) for key in ROLE_FIELDS}


def _role_values(values: dict[str, object], *, current: Role | None) -> dict[str, object]:
    """Check the shape of role values: known choices and permission codes only."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if key not in ROLE_FIELDS:
            raise ApplicationError(_("不可修改的字段"), field=key)
        out[key] = value
    if "name" in out:
        out["name"] = str(out["name"]).strip()[:64]
        if not out["name"]:
            raise ApplicationError(_("请填写角色名称"), field="name")
    if "scope" in out and out["scope"] not in Role.Scope.values:
        raise ApplicationError(_("无效的数据范围"), field="scope")
    if "clearance" in out and out["clearance"] not in Role.Clearance.values:
        raise ApplicationError(_("无效的密级"), field="clearance")
    for flag in ("field_limited", "require_2fa"):
        if flag in out:
            out[flag] = bool(out[flag])
    if "permissions" in out:
        codes = _codes(out["permissions"], field="permissions")
        unknown = sorted(set(codes) - set(perms.LABELS))
        if unknown:
            raise ApplicationError(
                _("未知权限:%(p)s") % {"p": ", ".join(unknown)[:200]}, field="permissions"
            )
        out["permissions"] = sorted(set(codes))
    final = codes if "permissions" in out else (current.permissions if current else [])
    duties_check(set(final))
    return out


@transaction.atomic
def role_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    scope: str = Role.Scope.NONE,
    clearance: str = Role.Clearance.NORMAL,
    field_limited: bool = False,
    require_2fa: bool = False,
    permissions: list[str] | None = None,
) -> Role:
    if actor is not None:
        policy.require(actor, perms.ROLE_MANAGE)
    code = code.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", code):
        raise ApplicationError(
            _("角色代码应为2到32位小写字母、数字或下划线,以字母开头"), field="code"
        )
    if Role.objects.filter(code=code).exists():
        raise ApplicationError(_("角色代码“%(c)s”已存在") % {"c": code}, field="code")
    values = _role_values(
        {
            "name": name,
            "scope": scope,
            "clearance": clearance,
            "field_limited": field_limited,
            "require_2fa": require_2fa,
            "permissions": permissions or [],
        },
        current=None,
    )
    role = Role.objects.create(code=code, **values)
    audit_record(actor=actor, action="role_create", obj=role, detail={"after": _role_state(role)})
    return role


@transaction.atomic
def role_update(*, actor: User | None, role: Role, changes: dict[str, object]) -> Role:
    """Edit a role. Its holders' access changes at their next request: the policy reads
    roles from the database."""
    if actor is not None:
        policy.require(actor, perms.ROLE_MANAGE)
    role = Role.objects.select_for_update().get(pk=role.pk)
    values = _role_values(changes, current=role)
    before = _role_state(role)
    had_holders = {code: bool(_holders(code)) for code in _KEEP_HOLDER}
    for key, value in values.items():
        setattr(role, key, value)
    after = _role_state(role)
    changed = [key for key in ROLE_FIELDS if before[key] != after[key]]
    if not changed:
        return role
    role.save(update_fields=changed)
    for code in _KEEP_HOLDER:
        if had_holders[code] and not _holders(code):
            raise ApplicationError(
                _("没有其他在用账号可“%(perm)s”,不能从此角色移除该权限")
                % {"perm": perms.LABELS[code]},
                field="permissions",
            )
    audit_record(
        actor=actor,
        action="role_update",
        obj=role,
        detail={"before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}},
    )
    return role
