"""Sign-offs a filed piece needs before it counts (issue 27 §6): the archive type names,
per checklist item, the roles that confirm it (seed 000: 销售经理房号确认, 财务收款确认;
003: the handler's direct leader signs before filing). Each is one row here, in order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Confirmation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REFUSED = "refused", _("已退回")

    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="confirmations"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    role = models.CharField(_("确认角色"), max_length=32)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(_("意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The archive type's rules in force when the piece was filed and this sign-off asked
    # for (issue 27 §5: the version in force recorded on what it decided).
    rule_version = models.ForeignKey(
        "rules.RuleVersion",
        verbose_name=_("规则版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["document_id", "position"]
        verbose_name = _("文件确认")
        verbose_name_plural = _("文件确认")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="one_confirmation_per_position"
            )
        ]
        indexes = [models.Index(fields=["status", "role"])]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position} {self.role}"
