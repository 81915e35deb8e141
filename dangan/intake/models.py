"""Intake checks (稽核): the working-day calendar, per-document facts, findings, exception
statements with their approval chain, and assessed penalties (issue 4 §2–4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangan.circulation.models import ChainChosen


class Holiday(models.Model):
    """A date that differs from the Monday–Friday rule: a public holiday, or a weekend
    day worked instead (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True)
    # Where the date comes from: the State Council's published schedule as shipped, the
    # statutory holidays computed for a year whose schedule is not out yet (provisional,
    # replaced when the official one is loaded), or an entry made by hand.
    source = models.CharField(_("来源"), max_length=120, blank=True)
    provisional = models.BooleanField(_("暂定"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class DocumentCheck(models.Model):
    """What the clerk read off one paper document: the named values the consistency rules
    compare (customer name, VIN …), and whether it is stamped, signed and how many copies.
    A None flag means "not checked yet", which raises no finding."""

    document = models.OneToOneField(
        "documents.Document", on_delete=models.CASCADE, related_name="intake_check"
    )
    values = models.JSONField(_("要素"), default=dict, blank=True)
    stamped = models.BooleanField(_("已盖章"), null=True, blank=True)
    signed = models.BooleanField(_("已签字"), null=True, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    checked_at = models.DateTimeField(_("核对时间"), null=True)

    class Meta:
        verbose_name = _("文件要素")
        verbose_name_plural = _("文件要素")

    def __str__(self) -> str:
        return f"{self.document_id}: {self.values}"


class Finding(models.Model):
    """One non-conformity (不合格) of a dossier, with the person responsible for it."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("缺件")
        WRONG = "wrong", _("错误")
        INCONSISTENT = "inconsistent", _("信息不一致")
        NO_STAMP = "no_stamp", _("未盖章")
        NO_SIGNATURE = "no_signature", _("无签字")
        LATE = "late", _("超期上交")
        # Recorded by the clerk (no document shows them): seed 001 五.3, 五.5, 五.7.
        CONTACT_NOT_VERIFIED = "contact_not_verified", _("联系方式未核实")
        NO_INTERNAL_SIGNATURE = "no_internal_signature", _("内部签字缺失")
        LOST = "lost", _("档案袋遗失")
        # Use of the archive (seed 000 第三章二.3): recorded by the clerk …
        UNAPPROVED_USE = "unapproved_use", _("未经审批查看或借出")
        UNAPPROVED_COPY = "unapproved_copy", _("擅自抄录、复制")
        # … or by the return of a loan (circulation.lending.loan_return).
        RETURN_LATE = "return_late", _("借阅逾期归还")
        RETURN_INCOMPLETE = "return_incomplete", _("归还不完整")
        RETURN_DAMAGED = "return_damaged", _("归还时损坏")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        FIXED = "fixed", _("已整改")
        EXCEPTED = "excepted", _("情况说明已批准")

    class Source(models.TextChoices):
        AUDIT = "audit", _("稽核")
        MANUAL = "manual", _("登记")
        LOAN = "loan", _("借阅归还")

    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    # Which check produced it ("missing:SALES_CONTRACT", "inconsistent:vin" …): a rerun
    # matches its open findings by this key. Empty for findings recorded by hand.
    rule_key = models.CharField(max_length=120, blank=True)
    rule = models.CharField(_("规则"), max_length=300)
    detail = models.TextField(_("说明"), blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default="audit")
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("文件"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checklist_item = models.ForeignKey(
        "archives.ChecklistItem",
        verbose_name=_("清单项"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The version of the archive type's rules in force when the check found it (issue 27 §5).
    rule_version = models.ForeignKey(
        "rules.RuleVersion",
        verbose_name=_("规则版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="intake_findings",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="open")
    found_at = models.DateTimeField(_("发现时间"))
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    fixed_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    reoffence_count = models.PositiveSmallIntegerField(_("视同再次违规次数"), default=0)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("稽核结果")
        verbose_name_plural = _("稽核结果")
        indexes = [models.Index(fields=["status", "found_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "rule_key"],
                condition=Q(status="open") & ~Q(rule_key=""),
                name="finding_open_rule_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}:{self.rule}"


class AuditRun(models.Model):
    """One run of the rule checks on a dossier: the basis of the completeness rate."""

    dossier = models.ForeignKey(
        "archives.Dossier", on_delete=models.CASCADE, related_name="intake_runs"
    )
    run_at = models.DateTimeField()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    complete = models.BooleanField()
    open_findings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-run_at", "-id"]
        indexes = [models.Index(fields=["run_at"])]

    def __str__(self) -> str:
        return f"{self.dossier_id} @ {self.run_at:%Y-%m-%d %H:%M}"


class ExceptionStatement(ChainChosen):
    """档案袋情况说明: asks that a finding be accepted as an exception."""

    class Status(models.TextChoices):
        PENDING = "pending", _("审批中")
        APPROVED = "approved", _("已批准")
        DENIED = "denied", _("已驳回")

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="statements")
    text = models.TextField(_("情况说明"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="pending")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("情况说明")
        verbose_name_plural = _("情况说明")
        constraints = [
            models.UniqueConstraint(
                fields=["finding"], condition=Q(status="pending"), name="statement_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.get_status_display()}"

    @property
    def current_step(self) -> int:
        """The 0-based index of the step waiting now (the API's shape before the engine);
        the number of steps once decided."""
        steps = list(self.steps.all())
        pending = [s.position for s in steps if s.status == "pending"]
        return (pending[0] if pending else len(steps) + 1) - 1


class Penalty(models.Model):
    """An assessed fine: one per violation occurrence (0 = the finding itself, 1 = its
    re-offence when not fixed within one working day)."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="penalties")
    occurrence = models.PositiveSmallIntegerField(default=0)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intake_penalties"
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, null=True, related_name="+"
    )
    month = models.CharField(_("月份"), max_length=7, db_index=True)
    occurred_on = models.DateField(_("违规日期"))
    nth = models.PositiveSmallIntegerField(_("当月第几次"))
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("依据"), max_length=300)
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "person", "occurred_on", "id"]
        verbose_name = _("罚款")
        verbose_name_plural = _("罚款")
        constraints = [
            models.UniqueConstraint(fields=["finding", "occurrence"], name="penalty_occurrence"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.person_id} ¥{self.amount}"
