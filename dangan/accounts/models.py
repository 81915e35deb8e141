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
    scope = models.CharField(_("数据范围"), max_length=16, choices=Scope.choices)
    permissions = models.JSONField(_("权限"), default=list, blank=True)

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

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


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
