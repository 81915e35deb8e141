"""Change control of filed records (SPEC C5): the field-level history of every change
of a dossier or a customer, and change requests that wait for approval."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangan.circulation.models import ChainChosen


class ObjectType(models.TextChoices):
    DOSSIER = "dossier", _("档案")
    CUSTOMER = "customer", _("客户")


class ChangeRequest(ChainChosen):
    """修改申请: a change of a filed record that waits for its approval chain; applied,
    on the last approval, by the same service as a direct change."""

    class Status(models.TextChoices):
        PENDING = "pending", _("审批中")
        APPLIED = "applied", _("已批准并生效")
        DENIED = "denied", _("已驳回")
        CANCELLED = "cancelled", _("已撤回")

    # Workflow as data (STYLE 4).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.APPLIED, Status.DENIED, Status.CANCELLED}),
        Status.APPLIED: frozenset(),
        Status.DENIED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    number = models.CharField(_("申请编号"), max_length=32, unique=True, editable=False)
    object_type = models.CharField(_("对象"), max_length=12, choices=ObjectType.choices)
    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
    )
    # The customer changed, or the customer of the dossier changed (for scope).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
    )
    # The change as the update service takes it (identity numbers encrypted), and the
    # values of the changed fields when it was asked: a field changed since makes the
    # request stale.
    changes = models.JSONField(_("修改内容"), default=dict)
    before = models.JSONField(_("修改前"), default=dict)
    after = models.JSONField(_("修改后"), default=dict)
    reason = models.TextField(_("修改原因"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("修改申请")
        verbose_name_plural = _("修改申请")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(object_type="customer") | Q(dossier__isnull=False),
                name="change_request_dossier_named",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())


class ChangeRecord(models.Model):
    """变更记录: one field of a filed record changed — before and after, who, when, why,
    who approved. Written by the update services in the transaction of the change.
    Identity numbers are kept encrypted (`sensitive`) and shown masked as the reader's
    role requires."""

    object_type = models.CharField(_("对象"), max_length=12, choices=ObjectType.choices)
    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_records",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_records",
    )
    field = models.CharField(_("字段"), max_length=80)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    sensitive = models.BooleanField(default=False)
    level = models.CharField(_("变更控制"), max_length=12)
    reason = models.TextField(_("修改原因"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("修改时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    request = models.ForeignKey(
        ChangeRequest,
        verbose_name=_("修改申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        indexes = [
            models.Index(fields=["dossier", "changed_at"]),
            models.Index(fields=["customer", "object_type", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.field}"
