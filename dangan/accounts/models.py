from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.CharField(_("部门代码"), max_length=16, unique=True)
    name = models.CharField(_("部门名称"), max_length=64, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role is data: its permissions and data scope are edited, not coded (SPEC §1)."""

    class Scope(models.TextChoices):
        OWN = "own", _("本人客户")
        DEPARTMENT = "department", _("本部门")
        ALL = "all", _("全部")
        NONE = "none", _("无客户数据")

    code = models.SlugField(_("角色代码"), max_length=32, unique=True)
    name = models.CharField(_("角色名称"), max_length=64)

    class Clearance(models.TextChoices):
        NORMAL = "normal", _("普通")
        SECRET = "secret", _("秘密")
        CONFIDENTIAL = "confidential", _("机密")
        TOP_SECRET = "top_secret", _("绝密")

    scope = models.CharField(_("数据范围"), max_length=16, choices=Scope.choices)
    permissions = models.JSONField(_("权限"), default=list, blank=True)
    clearance = models.CharField(
        _("可阅密级"), max_length=16, choices=Clearance.choices, default=Clearance.NORMAL
    )
    # Seed 002 篇4 §4.1: business staff may learn only a customer's organisation,
    # name and title. A field-limited role sees those and nothing else.
    field_limited = models.BooleanField(_("仅限基本字段"), default=False)
    require_2fa = models.BooleanField(_("须双因素登录"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")
    totp_secret_encrypted = models.TextField(blank=True)
    totp_enabled = models.BooleanField(_("已启用双因素"), default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


class Grant(models.Model):
    """A time-limited permission on one object, e.g. an approved on-screen view.

    The policy layer reads active grants as data; nothing else special-cases them.
    """

    class ObjectType(models.TextChoices):
        CUSTOMER = "customer", _("客户")
        DOSSIER = "dossier", _("档案")

    class Action(models.TextChoices):
        VIEW = "view", _("在线查阅")
        COPY = "copy", _("复制/下载")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    object_type = models.CharField(max_length=16, choices=ObjectType.choices)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.VIEW)
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "object_type", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("starts_at")), name="grant_period_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.object_type}:{self.object_id} → {self.expires_at:%Y-%m-%d %H:%M}"


class LoginAttempt(models.Model):
    """Failed logins, counted per account and per address for the lockout (等保 8.1.4.1)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M}"


class Lockout(models.Model):
    """An active lock on an account or an address, until it expires or is lifted."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("账号")
        IP = "ip", _("IP 地址")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=150)
    locked_at = models.DateTimeField()
    until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "until"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.until:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
