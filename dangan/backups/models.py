from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupRun(models.Model):
    """One backup, asked for on the page, by the API, at the console or by the schedule."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")
        MISSED = "missed", _("错过")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("定时")
        MANUAL = "manual", _("手动")
        CONSOLE = "console", _("命令行")

    trigger = models.CharField(_("触发方式"), max_length=10, choices=Trigger.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default="queued")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    path = models.CharField(_("备份位置"), max_length=500, blank=True)
    size = models.BigIntegerField(_("大小"), null=True, blank=True)
    records = models.BigIntegerField(_("记录数"), null=True, blank=True)
    files = models.BigIntegerField(_("文件数"), null=True, blank=True)
    audit_seq = models.BigIntegerField(_("审计链序号"), null=True, blank=True)
    audit_hash = models.CharField(_("审计链哈希"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("备份记录")
        verbose_name_plural = _("备份记录")

    def __str__(self) -> str:
        return f"backup #{self.pk} {self.state}"


class KeyCheck(models.Model):
    """Check values of the keys file (an HMAC of a constant under each key), written when
    the database is made: a keys file that does not match them is refused at start."""

    instance = models.CharField(max_length=16)
    checks = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.instance
