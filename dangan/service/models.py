"""Service records on the customer's file (SPEC C13; seeds 001, 002, 004): complaint and
repair tickets with their handling and return visit, the contact log, transactions, hotel
stays and the register of notices passed up and down (上行下达).

Every record hangs on a customer, so the policy layer's customer scope decides who sees
it (accounts.policy.service_records_for)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketCategory(models.Model):
    """A kind of ticket with its own deadline and return-visit rule, kept as data so the
    company sets them (shipped defaults in migration 0002)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    deadline_days = models.PositiveSmallIntegerField(_("处理时限(工作日)"), default=2)
    visit_required = models.BooleanField(_("关闭前须回访"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("工单类别")
        verbose_name_plural = _("工单类别")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A complaint (投诉) or repair (报修) from the call to the return visit."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("受理")
        IN_PROGRESS = "in_progress", _("处理中")
        RESOLVED = "resolved", _("已处理")
        VISITED = "visited", _("已回访")
        CLOSED = "closed", _("关闭")

    class Source(models.TextChoices):
        PHONE = "phone", _("电话")
        VISIT = "visit", _("来访")
        ONLINE = "online", _("网络/微信")
        LETTER = "letter", _("信函")
        PATROL = "patrol", _("巡查发现")
        OTHER = "other", _("其他")

    # The moves of a ticket (STYLE 4), keyed by the `to` a transition asks for. "reopen"
    # is an action, not a state: it takes a ticket back to in_progress.
    REOPEN = "reopen"
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
        Status.IN_PROGRESS: frozenset({Status.RESOLVED}),
        Status.RESOLVED: frozenset({Status.VISITED, Status.CLOSED, REOPEN}),
        Status.VISITED: frozenset({Status.CLOSED, REOPEN}),
        Status.CLOSED: frozenset({REOPEN}),
    }
    OPEN = (Status.RECEIVED, Status.IN_PROGRESS)

    SATISFACTION = (
        (5, _("非常满意")),
        (4, _("满意")),
        (3, _("一般")),
        (2, _("不满意")),
        (1, _("非常不满意")),
    )

    number = models.CharField(_("工单号"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("房号/车辆"), max_length=100, blank=True)
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="tickets"
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    description = models.TextField(_("内容"))
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    deadline = models.DateField(_("处理期限"))
    outcome = models.TextField(_("处理结果"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"),
        choices=SATISFACTION,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    visit_note = models.TextField(_("回访记录"), blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("重开次数"), default=0)
    documents = models.ManyToManyField(
        "documents.Document", verbose_name=_("附件"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("受理时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["customer", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_scale",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class TicketEvent(models.Model):
    """One move of a ticket, kept as its history (who, when, from, to, note)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.action}"

    @property
    def to_status_label(self) -> str:
        label = str(dict(Ticket.Status.choices).get(self.to_status, self.to_status))
        if self.action == Ticket.REOPEN:
            return f"{_('重开')} → {label}"
        if self.action == "assign":
            return f"{_('指派')} · {label}"
        return label


class CustomerRecord(models.Model):
    """What every dated record on a customer carries: whose it is, who wrote it, when."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        abstract = True


class Contact(CustomerRecord):
    """One entry of the contact log (往来联系记录, 沟通记录)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("拜访/来访")
        CALL = "call", _("电话")
        LETTER = "letter", _("信函")
        FAX = "fax", _("传真")
        MESSAGE = "message", _("短信/微信/邮件")

    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("日期"))
    people = models.CharField(_("参与人员"), max_length=200, blank=True)
    summary = models.TextField(_("内容摘要"))
    follow_up = models.DateField(_("跟进日期"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("跟进完成时间"), null=True, blank=True)
    follow_up_note = models.CharField(_("跟进说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        indexes = [models.Index(fields=["follow_up", "follow_up_done_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Transaction(CustomerRecord):
    """A transaction with the customer where the seeds keep one (交易记录, 欠款还款)."""

    class Kind(models.TextChoices):
        SALE = "sale", _("成交")
        PAYMENT = "payment", _("收款")
        REFUND = "refund", _("退款")
        ARREARS = "arrears", _("欠款")
        REPAYMENT = "repayment", _("还款")
        LOST = "lost", _("未成交/流失")

    class Method(models.TextChoices):
        CASH = "cash", _("现金")
        TRANSFER = "transfer", _("转账")
        CARD = "card", _("刷卡")
        MORTGAGE = "mortgage", _("按揭")
        INSTALMENT = "instalment", _("分期")
        CREDIT = "credit", _("挂账")
        OTHER = "other", _("其他")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2, null=True)
    method = models.CharField(_("付款方式"), max_length=12, choices=Method.choices, blank=True)
    contract_number = models.CharField(_("合同编号"), max_length=64, blank=True)
    reason_lost = models.CharField(_("未成交原因"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("交易记录")
        verbose_name_plural = _("交易记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Stay(CustomerRecord):
    """A hotel or club guest's stay (客史): dates, room, spend, preferences observed."""

    arrival = models.DateField(_("入住日期"))
    departure = models.DateField(_("离店日期"))
    room = models.CharField(_("房间"), max_length=40, blank=True)
    spend = models.DecimalField(_("消费(元)"), max_digits=12, decimal_places=2, null=True)
    preferences = models.TextField(_("观察到的偏好"), blank=True)

    class Meta:
        ordering = ["-arrival", "-id"]
        verbose_name = _("入住记录")
        verbose_name_plural = _("入住记录")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(departure__gte=models.F("arrival")), name="stay_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.arrival}–{self.departure}"


class Notice(models.Model):
    """A notice or report passed down or up (上行下达), with whom it went to."""

    class Direction(models.TextChoices):
        DOWN = "down", _("下达通知")
        UP = "up", _("上报")

    number = models.CharField(_("编号"), max_length=32, unique=True, editable=False)
    direction = models.CharField(_("方向"), max_length=4, choices=Direction.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知与报告")
        verbose_name_plural = _("通知与报告")

    def __str__(self) -> str:
        return self.number

    @property
    def acknowledged_count(self) -> int:
        """Of the (prefetched) receipts, those acknowledged."""
        return sum(1 for receipt in self.receipts.all() if receipt.acknowledged_at is not None)


class NoticeReceipt(models.Model):
    """One recipient of a notice and when they acknowledged it (签收)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.user_id}"
