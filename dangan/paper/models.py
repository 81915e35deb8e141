"""Inventory rounds (盘点, seed 003 #4 定期核对 帐物相符): which dossiers a place (or a list)
should hold, what was scanned, and the discrepancies the round leaves to resolve."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.core.models import TimeStamped


class InventoryRound(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    location = models.ForeignKey(
        "locations.Location",
        verbose_name=_("盘点范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inventory_rounds",
    )
    scope_text = models.CharField(_("范围"), max_length=250)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default="open")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # At closing: the counts and items of each outcome, and the signed report's bytes (its
    # SHA-256 is in the closing audit entry, so the chain vouches for it).
    result = models.JSONField(default=dict, blank=True)
    report = models.BinaryField(null=True, blank=True, editable=False)
    report_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("盘点")
        verbose_name_plural = _("盘点")

    def __str__(self) -> str:
        return f"PD-{self.pk} {self.scope_text}"

    @property
    def number(self) -> str:
        return f"PD-{timezone.localtime(self.created_at).year}-{self.pk:04d}"


class RoundItem(models.Model):
    """A dossier the round expects to find (taken when the round starts)."""

    round = models.ForeignKey(InventoryRound, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey("archives.Dossier", on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "dossier"], name="round_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.dossier_id}"


class Scan(models.Model):
    """One label read during a round (a repeated label is refused, not stored)."""

    class Outcome(models.TextChoices):
        FOUND = "found", _("在位")
        MISPLACED = "misplaced", _("错位")
        UNKNOWN = "unknown", _("未知标签")

    round = models.ForeignKey(InventoryRound, on_delete=models.CASCADE, related_name="scans")
    text = models.CharField(max_length=200)
    archive_number = models.CharField(max_length=64)
    dossier = models.ForeignKey(
        "archives.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scanned_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "archive_number"], name="scan_once_per_round"),
        ]

    def __str__(self) -> str:
        return self.archive_number


class Discrepancy(models.Model):
    """A task the closed round leaves: find a missing bag, put a misplaced one back (or
    record where it is), identify an unknown label."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("缺失")
        MISPLACED = "misplaced", _("错位")
        UNKNOWN = "unknown", _("未知标签")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已处理")

    round = models.ForeignKey(
        InventoryRound, on_delete=models.CASCADE, related_name="discrepancies"
    )
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    dossier = models.ForeignKey(
        "archives.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("内容"), max_length=250)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="open")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("处理结果"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("盘点差异")
        verbose_name_plural = _("盘点差异")

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


class CheckKind(models.TextChoices):
    """The periodic checks the seeds ask of the archive room."""

    LABELS = "labels", _("标签核对")  # 002 4.3.4: labels and symbols in the cabinets
    ENVIRONMENT = "environment", _("库房环境检查")  # 003 第23条: doors, windows, fire, damp
    CONDITION = "condition", _("档案材料检查")  # 003 第23条: mould, insects, damage
    TIDY = "tidy", _("档案整理")  # 002 7.3 《档案整理记录表》


class CheckPlan(TimeStamped):
    """A check the archive room repeats every so many days, for a place or the whole room:
    it is due on `next_due`, and each check recorded against it moves that on."""

    kind = models.CharField(_("检查项目"), max_length=12, choices=CheckKind.choices)
    location = models.ForeignKey(
        "locations.Location",
        verbose_name=_("检查范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    every_days = models.PositiveSmallIntegerField(_("周期(天)"))
    next_due = models.DateField(_("下次检查日期"))
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["next_due", "id"]
        verbose_name = _("定期检查计划")
        verbose_name_plural = _("定期检查计划")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_days__gte=1, every_days__lte=366),
                name="check_plan_every_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} / {self.every_days}"


class CheckRecord(models.Model):
    """One check done (the electronic 档案整理记录表 / 检查记录): what was looked at, what
    was found and what was done about it."""

    class Outcome(models.TextChoices):
        OK = "ok", _("正常")
        PROBLEMS = "problems", _("发现问题")

    plan = models.ForeignKey(
        CheckPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    kind = models.CharField(_("检查项目"), max_length=12, choices=CheckKind.choices)
    location = models.ForeignKey(
        "locations.Location",
        verbose_name=_("检查范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_on = models.DateField(_("检查日期"))
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    findings = models.TextField(_("发现的问题"), blank=True)
    actions = models.TextField(_("处理措施"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-id"]
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.checked_on}"


class PaperCopy(models.Model):
    """Customer data printed and handed out on paper (发放), to come back and be destroyed
    (seed 002 篇4 管理程序4、5: member lists printed after a lecture go to customer service
    and the marketing company, are returned before the next lecture or within a week, and
    are destroyed once the database is updated). One row per handing-out."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("已发放")
        RECALLED = "recalled", _("已催还")
        RETURNED = "returned", _("已收回")
        DESTROYED = "destroyed", _("已销毁")

    # Workflow as data: the moves a copy may make from each status.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.ISSUED: frozenset({Status.RECALLED, Status.RETURNED}),
        Status.RECALLED: frozenset({Status.RETURNED}),
        Status.RETURNED: frozenset({Status.DESTROYED}),
        Status.DESTROYED: frozenset(),
    }

    number = models.CharField(_("发放编号"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("资料名称"), max_length=200)
    purpose = models.CharField(_("用途"), max_length=500)
    copies = models.PositiveSmallIntegerField(_("份数"))
    dossiers = models.ManyToManyField(
        "archives.Dossier", verbose_name=_("涉及档案"), blank=True, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领取人"),
        on_delete=models.PROTECT,
        related_name="paper_copies",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("发放时间"))
    due_at = models.DateTimeField(_("应还时间"))
    recalled_at = models.DateTimeField(_("催还时间"), null=True, blank=True)
    recall_note = models.CharField(_("催还说明"), max_length=500, blank=True)
    returned_at = models.DateTimeField(_("收回时间"), null=True, blank=True)
    returned_copies = models.PositiveSmallIntegerField(_("收回份数"), null=True, blank=True)
    return_note = models.CharField(_("收回说明"), max_length=500, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destroyed_at = models.DateTimeField(_("销毁时间"), null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销毁人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destruction_method = models.CharField(_("销毁方式"), max_length=100, blank=True)
    destruction_witness = models.CharField(_("监销人"), max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("纸质资料发放")
        verbose_name_plural = _("纸质资料发放")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("issued_at")), name="paper_copy_due_after"
            ),
            models.CheckConstraint(condition=models.Q(copies__gte=1), name="paper_copy_copies"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="paper_copy_open")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_out(self) -> bool:
        return self.status in (self.Status.ISSUED, self.Status.RECALLED)

    @property
    def is_overdue(self) -> bool:
        return self.is_out and self.due_at < timezone.now()

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())
