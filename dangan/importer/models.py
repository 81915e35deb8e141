"""Import jobs: the stored sheet, its column mapping, progress, and the per-row report."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangan.core.models import TimeStamped


class ImportJob(TimeStamped):
    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("客户")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOMERS)
    # The uploaded file is kept content-addressed (SHA-256) under the data dir.
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("文件名"), max_length=200)
    archive_type = models.CharField(_("档案类型"), max_length=40, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(_("试导入"), default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    committed_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    # Summary: counts per outcome, the fatal error if any, the committed row ranges.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Who runs it while it runs: "host pid start-time" (services.liveness).
    runner = models.CharField(max_length=200, blank=True)
    # The refused rows' sheet values and reasons, encrypted (services.refused).
    refused = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.pk})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (self.Status.DONE, self.Status.FAILED) else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    def row_reports(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for batch in self.batches.order_by("number"):
            rows.extend(batch.rows)
        return rows


class ImportBatch(models.Model):
    """One batch of rows, written in the same transaction as the rows it reports: after a
    crash the batches present are exactly the rows committed (none half-written)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    committed = models.BooleanField(default=False)
    rows = models.JSONField(default=list)
    # False from the commit of a committed batch until its rows' search entries are
    # written: they follow the commit (on PostgreSQL from a thread of their own, a few
    # batches behind), so a process killed in between leaves it False, and
    # services.import_index_pending writes them.
    indexed = models.BooleanField(default=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="import_batch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.number}"


class ColumnMapping(TimeStamped):
    """The mapping last used for a header row, so the same sheet maps itself next time."""

    signature = models.CharField(max_length=64, unique=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("列映射")
        verbose_name_plural = _("列映射")

    def __str__(self) -> str:
        return self.signature[:12]
