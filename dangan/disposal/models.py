"""Retention, appraisal and supervised destruction (SPEC C6, issue 24; seed 003 第29条).

A destruction list (销毁清单) is the unit of work: proposed by the archivist, appraised by
two parties (the archive room and the owning business department, 鉴定小组), approved by
the configured chain (the approval engine's rule of kind `disposal`), held for the type's
hold period, then destroyed under a supervisor (监销人). What was destroyed is entered in
the register (销毁清册), which no one can change or delete: the database refuses it
(migration 0002's triggers)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangan.circulation.models import ChainChosen


class DisposalRule(models.Model):
    """How one archive type ends: the hold after approval (seed 003 第29条 six months;
    003 会馆 deletions one month) and what starts the retention clock. Kept as data."""

    class Trigger(models.TextChoices):
        CLOSED = "closed", _("终止或迁出之日起")
        FILED = "filed", _("建档之日起")

    archive_type = models.OneToOneField(
        "archives.ArchiveType", on_delete=models.CASCADE, related_name="disposal_rule"
    )
    trigger = models.CharField(
        _("保管期限起算"), max_length=8, choices=Trigger.choices, default=Trigger.CLOSED
    )
    hold_months = models.PositiveSmallIntegerField(_("待销毁保留期(月)"), default=6)

    class Meta:
        verbose_name = _("销毁规则")
        verbose_name_plural = _("销毁规则")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hold_months__gte=1), name="hold_at_least_a_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.archive_type_id}"


class Extension(models.Model):
    """An appraisal's "keep N more years" for one dossier (延长保管), or for one document
    of it where the document has a retention of its own."""

    dossier = models.ForeignKey("archives.Dossier", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    until = models.DateField(_("延长至"))
    reason = models.CharField(_("理由"), max_length=500)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"{self.dossier_id}→{self.until}"


class DisposalList(ChainChosen):
    class Kind(models.TextChoices):
        EXPIRED = "expired", _("到期销毁")
        DELETION = "deletion", _("提前删除申请")

    class Status(models.TextChoices):
        APPRAISAL = "appraisal", _("鉴定中")
        APPROVAL = "approval", _("审批中")
        HOLD = "hold", _("待销毁(保留期)")
        DESTROYED = "destroyed", _("已销毁")
        CLOSED = "closed", _("已结束(无销毁项)")
        DENIED = "denied", _("已驳回")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.APPRAISAL: frozenset({Status.APPROVAL, Status.CLOSED}),
        Status.APPROVAL: frozenset({Status.HOLD, Status.DENIED}),
        Status.HOLD: frozenset({Status.DESTROYED, Status.CLOSED}),
        Status.DESTROYED: frozenset(),
        Status.CLOSED: frozenset(),
        Status.DENIED: frozenset(),
    }

    number = models.CharField(_("清单编号"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.EXPIRED)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.APPRAISAL
    )
    reason = models.TextField(_("理由"), blank=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    hold_until = models.DateField(_("保留至"), null=True, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("监销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destroyed_at = models.DateTimeField(_("销毁时间"), null=True, blank=True)
    method = models.CharField(_("销毁方式"), max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("销毁清单")
        verbose_name_plural = _("销毁清单")

    def __str__(self) -> str:
        return self.number


class DisposalItem(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("待鉴定")
        DESTROY = "destroy", _("同意销毁")
        KEEP = "keep", _("继续保存")
        EXTEND = "extend", _("延长保管")
        RESTORED = "restored", _("保留期内撤回")

    disposal_list = models.ForeignKey(DisposalList, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey("archives.Dossier", on_delete=models.PROTECT, related_name="+")
    # Set when the item is one document (件) whose own retention has ended, not the whole
    # dossier: the dossier stays where it is.
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prior_status = models.CharField(max_length=20)
    expires = models.DateField(_("保管期满"), null=True, blank=True)
    decision = models.CharField(
        _("鉴定结论"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    extend_years = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["disposal_list", "dossier"],
                condition=models.Q(document__isnull=True),
                name="disposal_dossier_once",
            ),
            models.UniqueConstraint(
                fields=["disposal_list", "document"],
                condition=models.Q(document__isnull=False),
                name="disposal_document_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disposal_list_id}:{self.dossier_id}:{self.document_id or ''}"

    @property
    def prior_status_label(self) -> str:
        from dangan.archives.models import Dossier

        try:
            return str(Dossier.Status(self.prior_status).label)
        except ValueError:
            return self.prior_status


class Appraisal(models.Model):
    """One party's appraisal of one item (鉴定小组: archive room and business department)."""

    class Party(models.TextChoices):
        ARCHIVE = "archive", _("档案室")
        BUSINESS = "business", _("业务部门")

    item = models.ForeignKey(DisposalItem, on_delete=models.CASCADE, related_name="appraisals")
    party = models.CharField(_("鉴定方"), max_length=10, choices=Party.choices)
    decision = models.CharField(_("鉴定结论"), max_length=10, choices=DisposalItem.Decision.choices)
    years = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(_("鉴定意见"), max_length=500, blank=True)
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "party"], name="appraisal_once_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.party}"


class RegisterEntry(models.Model):
    """One line of the destruction register (销毁清册): kept permanently, append-only
    (the database refuses UPDATE and DELETE), and each entry is also in the audit trail."""

    list_number = models.CharField(_("清单编号"), max_length=32)
    archive_number = models.CharField(_("档号"), max_length=64)
    title = models.CharField(_("案卷题名"), max_length=300)
    archive_type = models.CharField(_("档案类型"), max_length=100)
    pieces = models.PositiveIntegerField(_("件数"))
    years = models.CharField(_("年度"), max_length=20)
    retention = models.CharField(_("保管期限"), max_length=20)
    appraisers = models.CharField(_("鉴定人"), max_length=300)
    approvers = models.CharField(_("批准人"), max_length=300)
    proposer = models.CharField(_("申报人"), max_length=100)
    supervisor = models.CharField(_("监销人"), max_length=100)
    approved_on = models.DateField(_("批准日期"))
    destroyed_at = models.DateTimeField(_("销毁时间"))
    method = models.CharField(_("销毁方式"), max_length=40)
    backups_until = models.DateField(_("备份留存至"))
    kind = models.CharField(_("类型"), max_length=10)

    class Meta:
        ordering = ["id"]
        verbose_name = _("销毁清册")
        verbose_name_plural = _("销毁清册")

    def __str__(self) -> str:
        return f"{self.list_number} {self.archive_number}"


class CustomerHold(models.Model):
    """A legal hold (冻结) on all of a customer's records: while it stands none of them is
    listed, appraised, approved or destroyed. Placing it freezes the dossiers it can (their
    states return on release); dossiers made or returned later are kept off destruction
    lists by the hold itself."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("冻结原因"), max_length=500)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("冻结时间"), auto_now_add=True)
    dossiers = models.JSONField(default=list, blank=True)  # ids the hold moved to legal_hold
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    release_reason = models.CharField(_("解除原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("客户冻结")
        verbose_name_plural = _("客户冻结")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(released_at__isnull=True),
                name="one_standing_hold_per_customer",
            )
        ]

    def __str__(self) -> str:
        return f"hold {self.customer_id}"
