"""Versions of the rules kept as data (issue 27 §5): every change of an archive type's
rules or of an approval rule is a new numbered version holding the whole rule set as it
stood afterwards, so what a rule decided (an access request's chain, an audit finding)
can name the version in force when it decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleVersion(models.Model):
    class Subject(models.TextChoices):
        ARCHIVE_TYPE = "archive_type", _("档案类型")
        APPROVAL_RULE = "approval_rule", _("审批规则")

    subject = models.CharField(_("规则对象"), max_length=16, choices=Subject.choices)
    # No foreign key: a deleted approval rule keeps its versions, as what it decided does.
    object_id = models.PositiveIntegerField(_("对象编号"))
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("规则内容"))
    sections = models.JSONField(_("改动部分"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["subject", "object_id", "-number"]
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "object_id", "number"], name="rule_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject}:{self.object_id} v{self.number}"
