"""Use of the archive (利用): access requests, their approval steps, loans of paper and
in-app notifications (SPEC C4, STANDARDS 19–20).

Approved view and copy requests become accounts.Grant rows, read by the policy layer;
nothing here widens access by itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    VIEW = "view", _("查阅")
    BORROW = "borrow", _("借阅")
    COPY = "copy", _("复制/导出")


class RuleKind(models.TextChoices):
    """What an approval rule decides: a kind of access request, or one of the other
    subjects whose chains the one engine runs (dangan.circulation.approvals)."""

    VIEW = "view", _("查阅")
    BORROW = "borrow", _("借阅")
    COPY = "copy", _("复制/导出")
    DISPOSAL = "disposal", _("销毁清单")
    STATEMENT = "statement", _("档案袋情况说明")
    CHANGE = "change", _("修改申请")


class Relation(models.TextChoices):
    OWN = "own", _("本人客户")
    DEPARTMENT = "department", _("本部门客户")
    OTHER = "other", _("其他部门客户")


class ApprovalRule(models.Model):
    """Which approval chain a subject needs: the first active rule (lowest priority
    number) whose non-empty criteria all match it. An access request matches rules of its
    kind or of none; a destruction list (kind `disposal`) and an intake exception statement
    (kind `statement`) only rules of their own kind. Empty steps: approved at once (access
    requests only; the other kinds need at least one step).

    steps: [{"role": "<role code>", "department": "requester" | "customer" | "any"}, ...]
    """

    name = models.CharField(_("规则名称"), max_length=100)
    priority = models.IntegerField(_("优先级(小者优先)"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    kind = models.CharField(
        _("申请类型"), max_length=16, choices=RuleKind.choices, blank=True, default=""
    )
    confidentiality = models.CharField(_("密级"), max_length=16, blank=True, default="")
    relation = models.CharField(
        _("与客户关系"), max_length=16, choices=Relation.choices, blank=True, default=""
    )
    requester_role = models.CharField(_("申请人角色"), max_length=32, blank=True, default="")
    steps = models.JSONField(_("审批步骤"), default=list, blank=True)
    # Seed 000: 查阅(借出)须经部门经理或档案管理人员批准 — where a rule says so, the archivist
    # lending at the desk records the chain's approval on the spot (loan_walk_in).
    desk_approval = models.BooleanField(_("档案室可当场审批借出"), default=False)
    # A step left undecided this long goes to the next level as well (0: never).
    escalate_after_hours = models.PositiveIntegerField(_("超时升级(小时,0 为不升级)"), default=48)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")

    def __str__(self) -> str:
        return self.name


class ChainChosen(models.Model):
    """What an approval chain decides records the rule that chose the chain and the rule's
    version then (issue 27 §5); the chain's steps are ApprovalStep rows (the one engine,
    dangan.circulation.approvals). Borrowing, destruction lists, exception statements and
    change requests share these two columns."""

    rule = models.ForeignKey(
        "circulation.ApprovalRule",
        verbose_name=_("审批规则"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule_version = models.ForeignKey(
        "rules.RuleVersion",
        verbose_name=_("审批规则版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class AccessRequest(ChainChosen):
    class Status(models.TextChoices):
        PENDING = "pending", _("审批中")
        APPROVED = "approved", _("已批准")
        DENIED = "denied", _("已驳回")
        CANCELLED = "cancelled", _("已撤回")

    # Workflow as data (STYLE 4): the moves a request may make from each status.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.APPROVED, Status.DENIED, Status.CANCELLED}),
        Status.APPROVED: frozenset(),
        Status.DENIED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    number = models.CharField(_("申请编号"), max_length=32, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    kind = models.CharField(_("申请类型"), max_length=8, choices=RequestKind.choices)
    dossier = models.ForeignKey(
        "archives.Dossier",
        verbose_name=_("档案"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    documents = models.ManyToManyField(
        "documents.Document", verbose_name=_("文件"), blank=True, related_name="+"
    )
    purpose = models.TextField(_("用途"))
    until = models.DateTimeField(_("期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    relation = models.CharField(_("与客户关系"), max_length=16, choices=Relation.choices)
    grant = models.OneToOneField(
        "accounts.Grant",
        verbose_name=_("授权"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_request",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # The archivist who recorded a walk-in request at the desk for the requester.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("柜台登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("利用申请")
        verbose_name_plural = _("利用申请")
        indexes = [models.Index(fields=["requester", "status"])]

    def __str__(self) -> str:
        return self.number

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def current_step(self) -> ApprovalStep | None:
        return self.steps.filter(status=ApprovalStep.Status.PENDING).first()


class Escalation(models.TextChoices):
    VACANT = "vacant", _("无人担任")
    OVERDUE = "overdue", _("超时未审批")


# What an ApprovalStep can decide, by its foreign key (dangan.circulation.approvals has the
# Subject of each).
STEP_SUBJECTS = ("request", "disposal_list", "statement", "change_request", "document")


def _exactly_one(fields: tuple[str, ...]) -> models.Q:
    """One of the nullable foreign keys `fields` set, the others not."""
    found = models.Q()
    for chosen in fields:
        found |= models.Q(**{f"{field}__isnull": field != chosen for field in fields})
    return found


class ApprovalStep(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("待前序审批")
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("同意")
        DENIED = "denied", _("驳回")
        SKIPPED = "skipped", _("未进行")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.WAITING: frozenset({Status.PENDING, Status.SKIPPED}),
        Status.PENDING: frozenset({Status.APPROVED, Status.DENIED, Status.SKIPPED}),
        Status.APPROVED: frozenset(),
        Status.DENIED: frozenset(),
        Status.SKIPPED: frozenset(),
    }

    # What the step decides: exactly one of these (the engine's subjects, issue 27 §8).
    request = models.ForeignKey(
        AccessRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    disposal_list = models.ForeignKey(
        "disposal.DisposalList",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="steps",
    )
    statement = models.ForeignKey(
        "intake.ExceptionStatement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="steps",
    )
    change_request = models.ForeignKey(
        "changes.ChangeRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="steps",
    )
    # A filed piece's sign-offs (issue 27 §6): the checklist item's confirming roles, in
    # order; the piece counts once every one is given (dangan.confirmations).
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_offs",
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    role = models.CharField(_("审批角色"), max_length=32)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("审批部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.WAITING
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.CharField(_("意见"), max_length=500, blank=True)
    # Chains never stall (issue 27 §2): the level configured after this step (the rule
    # step's escalate_to; empty: the archivist), and once the step had nobody to sign it
    # or waited too long, the role whose holders (any department) may sign it as well.
    opened_at = models.DateTimeField(_("进入待审批时间"), null=True, blank=True)
    next_level = models.CharField(_("上一级审批角色"), max_length=32, blank=True)
    escalated_to = models.CharField(_("已转交审批角色"), max_length=32, blank=True)
    escalated_at = models.DateTimeField(_("转交时间"), null=True, blank=True)
    escalation = models.CharField(
        _("转交原因"), max_length=8, choices=Escalation.choices, blank=True
    )
    # The rules in force when a sign-off was asked for (the archive type's version): a
    # document's steps have no chain-choosing subject to carry it (issue 27 §5). Empty
    # for the other subjects, whose ChainChosen row records it.
    rule_version = models.ForeignKey(
        "rules.RuleVersion",
        verbose_name=_("规则版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        # By the keys, not the subjects: ordering by a nullable relation joins it (outer),
        # and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        ordering = [*(f"{field}_id" for field in STEP_SUBJECTS), "position"]
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        constraints = [
            models.CheckConstraint(condition=_exactly_one(STEP_SUBJECTS), name="step_one_subject"),
            models.UniqueConstraint(fields=["request", "position"], name="step_position_unique"),
            models.UniqueConstraint(
                fields=["disposal_list", "position"], name="step_position_unique_disposal"
            ),
            models.UniqueConstraint(
                fields=["statement", "position"], name="step_position_unique_statement"
            ),
            models.UniqueConstraint(
                fields=["change_request", "position"], name="step_position_unique_change"
            ),
            models.UniqueConstraint(
                fields=["document", "position"], name="step_position_unique_document"
            ),
            # At most one step of a subject is waiting for a decision at any time.
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="pending"),
                name="one_pending_step_per_request",
            ),
            models.UniqueConstraint(
                fields=["disposal_list"],
                condition=models.Q(status="pending"),
                name="one_pending_step_per_disposal_list",
            ),
            models.UniqueConstraint(
                fields=["statement"],
                condition=models.Q(status="pending"),
                name="one_pending_step_per_statement",
            ),
            models.UniqueConstraint(
                fields=["change_request"],
                condition=models.Q(status="pending"),
                name="one_pending_step_per_change_request",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=models.Q(status="pending"),
                name="one_pending_step_per_document",
            ),
        ]

    def __str__(self) -> str:
        subject = next(
            getattr(self, f"{field}_id") for field in STEP_SUBJECTS if getattr(self, f"{field}_id")
        )
        return f"{subject} #{self.position} {self.role}"


class Loan(models.Model):
    class Scope(models.TextChoices):
        WHOLE = "whole", _("整卷")
        WITHOUT_ORIGINALS = "without_originals", _("不含原件(原件留存档案室)")
        DOCUMENTS = "documents", _("所选文件")

    dossier = models.ForeignKey(
        "archives.Dossier", verbose_name=_("档案"), on_delete=models.PROTECT, related_name="loans"
    )
    request = models.OneToOneField(
        AccessRequest,
        verbose_name=_("借阅申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loan",
    )
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("借阅人"),
        on_delete=models.PROTECT,
        related_name="loans",
    )
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lent_at = models.DateTimeField(_("借出时间"))
    due_at = models.DateTimeField(_("应还时间"))
    # What went out: the whole bag, or the pieces listed in `documents` (the originals stay
    # in the room; the slip lists them).
    scope = models.CharField(
        _("借出范围"), max_length=20, choices=Scope.choices, default=Scope.WHOLE
    )
    documents = models.ManyToManyField(
        "documents.Document", verbose_name=_("借出文件"), blank=True, related_name="+"
    )
    renewals = models.PositiveSmallIntegerField(_("续借次数"), default=0)
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_complete = models.BooleanField(_("归还时完整"), null=True, blank=True)
    returned_late = models.BooleanField(_("逾期归还"), null=True, blank=True)
    return_note = models.CharField(_("归还说明"), max_length=500, blank=True)
    damage_note = models.CharField(_("损坏情况"), max_length=500, blank=True)

    class Meta:
        ordering = ["-lent_at", "-id"]
        verbose_name = _("借出记录")
        verbose_name_plural = _("借出记录")
        constraints = [
            # Exactly one open loan per dossier, guaranteed by the database even when
            # several approved borrow requests are lent at the same moment.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(returned_at__isnull=True),
                name="one_open_loan_per_dossier",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("lent_at")), name="loan_due_after_lent"
            ),
        ]
        indexes = [models.Index(fields=["returned_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.dossier} → {self.borrower}"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=500)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    # A reminder sent once per loan, user and day carries a key, so running the task
    # twice the same day adds nothing; other notifications leave it empty.
    key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="notification_key_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
