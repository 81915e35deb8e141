"""Hand-overs 移交 (SPEC §2, C3; seed 002 篇5 §七, seed 004 第七–九条; STANDARDS 12).

A batch of dossiers moves from a sender to a receiver (a person or a department). Each
dossier carries its transfer list 移交清单, a snapshot of its checklist at creation; the
receiver checks it line by line, both parties sign, and only then does custody move.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Handover(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("移交")
        COPIES = "copies", _("复印件移交")
        DEPARTURE = "departure", _("离职交接")

    class Status(models.TextChoices):
        DRAFT = "draft", _("待核对")
        VERIFYING = "verifying", _("核对中")
        SIGNED = "signed", _("已签收")
        RETURNED = "returned", _("已退回")

    # Workflow as data (STYLE 4): where a batch may go from each status.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.VERIFYING, Status.SIGNED, Status.RETURNED}),
        Status.VERIFYING: frozenset({Status.VERIFYING, Status.SIGNED, Status.RETURNED}),
        Status.SIGNED: frozenset(),
        Status.RETURNED: frozenset(),
    }
    OPEN = (Status.DRAFT, Status.VERIFYING)

    number = models.CharField(_("移交单号"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.TRANSFER)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="draft")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("移交人"),
        on_delete=models.PROTECT,
        related_name="handovers_sent",
    )
    from_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("移交部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers_received",
    )
    to_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("接收部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    # STANDARDS 12: the totals the batch was made with (dossiers, lines, documents, files,
    # bytes, digest of the transfer lists); checked again when the receiver signs.
    totals = models.JSONField(_("移交合计"), default=dict, blank=True)
    received_totals = models.JSONField(_("接收合计"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sender_signed_at = models.DateTimeField(_("移交人签字时间"), null=True, blank=True)
    sender_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("移交人签字"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receiver_signed_at = models.DateTimeField(_("接收人签字时间"), null=True, blank=True)
    receiver_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人签字"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("移交单")
        verbose_name_plural = _("移交单")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_user__isnull=False) | models.Q(to_department__isnull=False),
                name="handover_has_receiver",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def receiver_label(self) -> str:
        if self.to_user_id is not None:
            return str(self.to_user)
        return str(self.to_department)


class HandoverItem(models.Model):
    """One dossier (档案袋) in a batch, with its transfer list as it was at creation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待核对")
        ACCEPTED = "accepted", _("接收")
        REJECTED = "rejected", _("退回")

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        related_name="handover_items",
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="pending")
    # True while the batch is open; the partial unique constraint below keeps a dossier
    # in at most one open batch, whatever the service layer does.
    is_open = models.BooleanField(default=True)
    item_count = models.PositiveIntegerField(_("清单项数"), default=0)
    document_count = models.PositiveIntegerField(_("文件件数"), default=0)
    checklist = models.JSONField(_("移交清单"), default=list)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        ordering = ["handover", "id"]
        verbose_name = _("移交档案")
        verbose_name_plural = _("移交档案")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(is_open=True),
                name="handover_item_one_open_batch",
            ),
            models.UniqueConstraint(fields=["handover", "dossier"], name="handover_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.handover_id}:{self.dossier_id}"


class HandoverLine(models.Model):
    """The receiver's finding on one line of the transfer list."""

    class Result(models.TextChoices):
        PRESENT = "present", _("齐全")
        MISSING = "missing", _("缺失")
        WRONG = "wrong", _("有误")

    item = models.ForeignKey(HandoverItem, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(_("清单项代码"), max_length=40)
    name = models.CharField(_("文件名称"), max_length=100)
    position = models.PositiveIntegerField(default=0)
    result = models.CharField(_("核对结果"), max_length=8, choices=Result.choices, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("核对记录")
        verbose_name_plural = _("核对记录")
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="handover_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.result}"


class Custody(models.Model):
    """Who holds a dossier's paper bag now: always the last signed hand-over's receiver."""

    dossier = models.OneToOneField(
        "archives.Dossier", on_delete=models.CASCADE, related_name="custody"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("保管人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("保管部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    since = models.DateTimeField(_("起始时间"))
    handover = models.ForeignKey(
        Handover, verbose_name=_("移交单"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("保管")
        verbose_name_plural = _("保管")

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.user or self.department}"

    @property
    def holder_label(self) -> str:
        if self.user_id is not None and self.department_id is not None:
            return f"{self.department} · {self.user}"
        return str(self.user or self.department or "")
