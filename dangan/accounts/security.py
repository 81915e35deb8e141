"""Login security (等保 identity checks, STANDARDS 39–41): password rules, lockout per
account and per address, TOTP two-factor login, and the user's own password and tokens.

Services take the acting user explicitly, run in one transaction and write their audit
entry in it. Nothing here trusts the caller to have checked a permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import ApiToken, Lockout, LoginAttempt, User
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record
from dangan.core import crypto
from dangan.core.errors import ApplicationError, NotFound

# --- Password rules -------------------------------------------------------------------


class PasswordComplexityValidator:
    """At least `min_length` characters from at least `min_classes` of four classes:
    upper case, lower case, digits, symbols (STANDARDS 39: ≥ 8 chars, 3 of 4 classes)."""

    def __init__(self, min_length: int = 8, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    @staticmethod
    def classes_in(password: str) -> int:
        upper = any(c.isupper() for c in password)
        lower = any(c.islower() for c in password)
        digit = any(c.isdigit() for c in password)
        symbol = any(not c.isalnum() for c in password)
        return sum((upper, lower, digit, symbol))

    def validate(self, password: str, user: Any = None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    ngettext(
                        "密码太短:至少需要 %(min)d 个字符。",
                        "密码太短:至少需要 %(min)d 个字符。",
                        self.min_length,
                    )
                    % {"min": self.min_length},
                    code="password_too_short",
                )
            )
        if self.classes_in(password) < self.min_classes:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。")
                    % {"n": self.min_classes},
                    code="password_too_simple",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _("至少 %(min)d 个字符,并包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {
            "min": self.min_length,
            "n": self.min_classes,
        }


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    """The signed-in user changes his own password; the old one must be given."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.check_password(old_password):
        raise ApplicationError(_("原密码不正确"), field="old_password")
    if old_password == new_password:
        raise ApplicationError(_("新密码不能与原密码相同"), field="new_password1")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="new_password1") from None
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    # The caller's object carries the new hash, so the session stays valid.
    actor.password = user.password
    actor.password_changed_at = user.password_changed_at
    audit_record(actor=actor, action="password_change", obj=user)


# --- Lockout --------------------------------------------------------------------------


# An address is shared by a whole office behind one NAT gateway: it is locked only at a
# much higher count than one account, so that a colleague's typos (or one attacked
# account) never lock out everyone else in the building.
MIN_IP_ATTEMPTS = 20


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int
    window: timedelta
    duration: timedelta
    ip_attempts: int = 30


def lockout_policy() -> LockoutPolicy:
    ip_attempts = int(getattr(settings, "DANGAN_LOCKOUT_IP_ATTEMPTS", 30))
    return LockoutPolicy(
        ip_attempts=max(ip_attempts, MIN_IP_ATTEMPTS),
        attempts=int(getattr(settings, "DANGAN_LOCKOUT_ATTEMPTS", 5)),
        window=timedelta(minutes=int(getattr(settings, "DANGAN_LOCKOUT_WINDOW_MINUTES", 15))),
        duration=timedelta(minutes=int(getattr(settings, "DANGAN_LOCKOUT_MINUTES", 15))),
    )


def _active_lockouts(now: datetime) -> QuerySet[Lockout]:
    return Lockout.objects.filter(lifted_at__isnull=True, until__gt=now)


def active_lockout(*, username: str, ip: str) -> Lockout | None:
    """The lock that refuses a login by `username` from `ip` now, if any: the account's
    own lock before the address's (the message then speaks of the account)."""
    active = _active_lockouts(timezone.now())
    own = active.filter(kind=Lockout.Kind.ACCOUNT, key=username[:150]).order_by("-until")
    lock = own.first()
    if lock is None and ip:
        lock = active.filter(kind=Lockout.Kind.IP, key=ip).order_by("-until").first()
    return lock


def locked_message(lockout: Lockout) -> str:
    """What the person at the login form reads. An address lock says so: it never tells an
    account that nobody attacked that it is locked."""
    until = timezone.localtime(lockout.until).strftime("%H:%M")
    if lockout.kind == Lockout.Kind.IP:
        message = _("本地址登录失败过多,暂停从此地址登录,请于 %(time)s 后重试或联系安全管理员")
        return message % {"time": until}
    return _("账号已被锁定,请于 %(time)s 后重试或联系安全管理员") % {"time": until}


def _failures_since(kind: str, key: str, *, now: datetime, window: timedelta) -> int:
    """Failures within the window, counted after the last lock on this key and, for an
    account, after its last successful login (a legitimate user's typos do not pile up)."""
    since = now - window
    last_lock = Lockout.objects.filter(kind=kind, key=key).order_by("-locked_at").first()
    if last_lock is not None:
        since = max(since, last_lock.locked_at)
    attempts = LoginAttempt.objects.filter(at__gt=since)
    if kind == Lockout.Kind.ACCOUNT:
        last_ok = LoginAttempt.objects.filter(username=key, succeeded=True).order_by("-at").first()
        if last_ok is not None:
            since = max(since, last_ok.at)
        return attempts.filter(username=key, succeeded=False, at__gt=since).count()
    return attempts.filter(ip=key, succeeded=False).count()


@transaction.atomic
def login_failed(*, username: str, ip: str, stage: str = "password") -> Lockout | None:
    """Record a failed login (wrong password, or wrong second-factor code) and lock the
    account and/or the address when the failures reach the limit. Returns a new lock.

    The audit entry names the username as typed; whether it exists is not recorded in a
    way the client could ever see."""
    username = username[:150]
    now = timezone.now()
    LoginAttempt.objects.create(username=username, ip=ip, at=now, succeeded=False)
    if stage == "password":
        audit_record(
            actor=None,
            action="login",
            object_type="user",
            object_repr=username,
            outcome=AuditEntry.Outcome.FAILED,
        )
    else:
        audit_record(
            actor=User.objects.filter(username=username).first(),
            action="2fa_failed",
            object_type="user",
            object_repr=username,
            outcome=AuditEntry.Outcome.FAILED,
        )
    rules = lockout_policy()
    keys = [(Lockout.Kind.ACCOUNT, username)] + ([(Lockout.Kind.IP, ip)] if ip else [])
    created: Lockout | None = None
    for kind, key in keys:
        if _active_lockouts(now).filter(kind=kind, key=key).exists():
            continue
        failures = _failures_since(kind, key, now=now, window=rules.window)
        limit = rules.ip_attempts if kind == Lockout.Kind.IP else rules.attempts
        if failures < limit:
            continue
        lock = Lockout.objects.create(kind=kind, key=key, locked_at=now, until=now + rules.duration)
        audit_record(
            actor=None,
            action="lockout",
            object_type="lockout",
            object_id=str(lock.pk),
            object_repr=f"{kind}:{key}",
            detail={"kind": kind, "key": key, "failures": failures, "until": lock.until},
        )
        created = created or lock  # the account's lock first, when both are new
    return created


@transaction.atomic
def login_refused(*, username: str, ip: str, lockout: Lockout) -> None:
    """A login attempt while locked: refused without looking at the password."""
    audit_record(
        actor=None,
        action="login",
        object_type="user",
        object_repr=username[:150],
        outcome=AuditEntry.Outcome.DENIED,
        detail={"reason": "locked", "lockout": f"{lockout.kind}:{lockout.key}"},
    )


@transaction.atomic
def login_succeeded(*, user: User, ip: str) -> None:
    """The user is fully signed in (password and, where needed, second factor)."""
    LoginAttempt.objects.create(username=user.username, ip=ip, at=timezone.now(), succeeded=True)
    audit_record(actor=user, action="login")


@transaction.atomic
def lockout_lift(*, actor: User, lockout: Lockout) -> Lockout:
    policy.require(actor, perms.SECURITY_MANAGE)
    lockout = Lockout.objects.select_for_update().get(pk=lockout.pk)
    if lockout.lifted_at is not None:
        return lockout
    lockout.lifted_at = timezone.now()
    lockout.lifted_by = actor
    lockout.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(
        actor=actor,
        action="unlock",
        object_type="lockout",
        object_id=str(lockout.pk),
        object_repr=f"{lockout.kind}:{lockout.key}",
        detail={"kind": lockout.kind, "key": lockout.key},
    )
    return lockout


def lockouts_for(actor: User) -> QuerySet[Lockout]:
    """Locks in force now, for the security administrator's page."""
    policy.require(actor, perms.SECURITY_MANAGE)
    return _active_lockouts(timezone.now()).order_by("-locked_at")


def access_lockout(actor: User, lockout_id: Any) -> Lockout:
    policy.require(actor, perms.SECURITY_MANAGE)
    try:
        return Lockout.objects.get(pk=int(lockout_id))
    except (TypeError, ValueError, Lockout.DoesNotExist):
        raise NotFound(_("记录不存在或您无权查看")) from None


def failed_attempts_for(actor: User, *, limit: int = 50) -> QuerySet[LoginAttempt]:
    policy.require(actor, perms.SECURITY_MANAGE)
    since = timezone.now() - timedelta(days=1)
    return LoginAttempt.objects.filter(succeeded=False, at__gte=since).order_by("-at")[:limit]


# --- Two-factor login (TOTP, RFC 6238) ------------------------------------------------

TOTP_ISSUER = "Dangan 档案"


def needs_second_factor(user: User) -> bool:
    """Enrolled users, and users with any role that requires it, must give a code."""
    return user.totp_enabled or any(role.require_2fa for role in policy.roles_of(user))


def _secret_of(user: User) -> str:
    return crypto.decrypt(user.totp_secret_encrypted) if user.totp_secret_encrypted else ""


def totp_code_valid(secret: str, code: str) -> bool:
    code = code.strip()
    if not secret or len(code) != 6 or not code.isdigit():
        return False
    # One step either side tolerates a phone clock that is up to 30 s off.
    return pyotp.TOTP(secret).verify(code, valid_window=1)


def totp_check(*, user: User, code: str) -> bool:
    """A second-factor code at login, against the user's enrolled secret."""
    return user.totp_enabled and totp_code_valid(_secret_of(user), code)


@transaction.atomic
def totp_setup_begin(*, actor: User) -> str:
    """Generate (or keep) the not yet confirmed secret, stored encrypted; returns it."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.totp_enabled:
        raise ApplicationError(_("双因素登录已启用"))
    secret = _secret_of(user)
    if not secret:
        secret = pyotp.random_base32()
        user.totp_secret_encrypted = crypto.encrypt(secret)
        user.save(update_fields=["totp_secret_encrypted"])
        actor.totp_secret_encrypted = user.totp_secret_encrypted
    return secret


def totp_provisioning(user: User, secret: str) -> tuple[str, str]:
    """The otpauth:// address and its QR code as inline SVG (no external service)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, omitsize=False)
    return uri, svg


@transaction.atomic
def totp_enable(*, actor: User, code: str) -> None:
    """Confirm enrolment with a current code from the authenticator app."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.totp_enabled:
        raise ApplicationError(_("双因素登录已启用"))
    if not totp_code_valid(_secret_of(user), code):
        raise ApplicationError(_("验证码不正确,请输入验证器中当前显示的 6 位数字"), field="code")
    user.totp_enabled = True
    user.save(update_fields=["totp_enabled"])
    actor.totp_enabled = True
    audit_record(actor=actor, action="2fa_enabled", obj=user)


@transaction.atomic
def totp_disable(*, actor: User, code: str) -> None:
    """Switch two-factor login off; needs a current code, so a stolen session cannot."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.totp_enabled:
        raise ApplicationError(_("双因素登录未启用"))
    if any(role.require_2fa for role in policy.roles_of(actor)):
        raise ApplicationError(_("您的角色要求双因素登录,不能停用"), field="code")
    if not totp_code_valid(_secret_of(user), code):
        raise ApplicationError(_("验证码不正确,请输入验证器中当前显示的 6 位数字"), field="code")
    user.totp_enabled = False
    user.totp_secret_encrypted = ""
    user.save(update_fields=["totp_enabled", "totp_secret_encrypted"])
    actor.totp_enabled = False
    actor.totp_secret_encrypted = ""
    audit_record(actor=actor, action="2fa_disabled", obj=user)


# --- API tokens: who may see and revoke which ----------------------------------------


def tokens_for(actor: User, *, owner: User | None = None) -> QuerySet[ApiToken]:
    """The actor's own tokens; anyone's (or one user's) with USER_TOKENS."""
    tokens = ApiToken.objects.select_related("user")
    if owner is not None and owner.pk == actor.pk:
        return tokens.filter(user=actor)
    policy.require(actor, perms.USER_TOKENS)
    return tokens.filter(user=owner) if owner is not None else tokens


def access_token(actor: User, token_id: Any) -> ApiToken:
    """One token to act on: the actor's own, or anyone's with USER_TOKENS; else NotFound."""
    visible = ApiToken.objects.select_related("user")
    if not policy.has_perm(actor, perms.USER_TOKENS):
        visible = visible.filter(user=actor)
    try:
        return visible.get(pk=int(token_id))
    except (TypeError, ValueError, ApiToken.DoesNotExist):
        raise NotFound(_("记录不存在或您无权查看")) from None
