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
    generated = password is None
    password = password if password is not None else secrets.token_urlsafe(12)
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
        policy.require(actor, perms.USER_MANAGE)
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
