from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangan.core.models import TimeStamped


class Confidentiality(models.TextChoices):
    """密级 of a dossier (and the default an archive type gives its new dossiers)."""

    NORMAL = "normal", _("普通")
    SECRET = "secret", _("秘密")
    CONFIDENTIAL = "confidential", _("机密")
    TOP_SECRET = "top_secret", _("绝密")


class ArchiveType(TimeStamped):
    """An industry template: what a dossier of this kind holds and how it is numbered."""

    class DocumentOrder(models.TextChoices):
        CHECKLIST = "checklist", _("按清单顺序")
        NEWEST_FIRST = "newest_first", _("最新文件在前")

    class CrossYear(models.TextChoices):
        """Which year's volumes a dossier whose papers run over several years is bound in
        (seed 003 第14条): the year it was opened (a plan in its first year, a meeting in
        its opening year), or the year of its latest document (a summary in its last year,
        a request in the year of its reply)."""

        OPENING = "opening", _("按建档年度立卷")
        LATEST = "latest", _("按最后文件年度立卷")

    code = models.CharField(_("类别代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    customer_kinds = models.JSONField(_("适用客户类型"), default=list)
    numbering = models.CharField(_("档号规则"), max_length=64)
    retention = models.CharField(_("保管期限"), max_length=8)
    document_order = models.CharField(
        _("文件排列"), max_length=16, choices=DocumentOrder.choices, default="checklist"
    )
    placement = models.JSONField(_("存放排列依据"), default=list, blank=True)
    deadline = models.JSONField(_("移交期限规则"), default=dict, blank=True)
    # Where the seeds disagree (one dealer counts working days after delivery, another
    # calendar days after the licence or pick-up), the template ships each rule as a
    # choice [{key, label, rule}]; the company picks one and `deadline` is that rule.
    deadline_variants = models.JSONField(_("移交期限可选规则"), default=list, blank=True)
    deadline_variant = models.CharField(_("采用的移交期限规则"), max_length=32, blank=True)
    fields = models.JSONField(_("自定义字段"), default=list, blank=True)
    consistency = models.JSONField(_("一致性规则"), default=list, blank=True)
    penalties = models.JSONField(_("考核规则"), default=list, blank=True)
    # What this type calls a state, where its trade has its own word (迁出 → 退房, 退会).
    status_labels = models.JSONField(_("状态名称"), default=dict, blank=True)
    # What the bag's face carries (archives.cover): [{"key": "fields.vin", "label": ""}, ...].
    cover = models.JSONField(_("档案袋封面字段"), default=list, blank=True)
    # The 密级 a new dossier of this type gets unless one is chosen (002 篇3 4.3.1: property
    # files are 保密级, and so come back the day they go out).
    default_confidentiality = models.CharField(
        _("默认密级"), max_length=16, choices=Confidentiality.choices, default="normal"
    )
    # 002 篇4 管理制度5: 原始资料只可查寻,不可借阅、发放 — no copies of originals are issued.
    originals_copyable = models.BooleanField(_("原始资料可复制发放"), default=True)
    # The business keys of which one dossier exists per value (一车一档: [["vin"]]); each
    # a list of custom-field keys. See archives.keys.
    unique_keys = models.JSONField(_("唯一业务键"), default=list, blank=True)
    # Files that belong to no customer (公司日常档案, department files): a dossier of such a
    # type names the department that keeps it instead of a customer.
    customer_less = models.BooleanField(_("非客户档案"), default=False)
    # Per field: a change is free, needs a reason or needs approval (changes.control).
    change_control = models.JSONField(_("变更控制"), default=dict, blank=True)
    # How the sign-offs of this type's pieces run (issue 27 §6, §2): {"escalate_after_hours":
    # N}, a sign-off pending longer goes to the next level as well (0: never); see
    # dangan.rules.schema.parse_confirm for the shipped default.
    confirm = models.JSONField(_("文件确认设置"), default=dict, blank=True)
    # 年度立卷 (archives.volumes): which year's volumes a dossier is bound in.
    cross_year = models.CharField(
        _("跨年度立卷规则"), max_length=12, choices=CrossYear.choices, default=CrossYear.OPENING
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("档案类型")
        verbose_name_plural = _("档案类型")

    def __str__(self) -> str:
        return self.name

    def field_schema(self) -> list[dict[str, Any]]:
        return list(self.fields or [])


class ChecklistItem(models.Model):
    """A document type in an archive type's ordered checklist."""

    class Requirement(models.TextChoices):
        REQUIRED = "required", _("必备")
        OPTIONAL = "optional", _("可选")
        CONDITIONAL = "conditional", _("条件必备")

    archive_type = models.ForeignKey(ArchiveType, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("文件名称"), max_length=100)
    group = models.CharField(_("分组"), max_length=40, blank=True)
    position = models.PositiveIntegerField(_("顺序"))
    requirement = models.CharField(
        _("要求"), max_length=16, choices=Requirement.choices, default="required"
    )
    when = models.JSONField(_("适用条件"), default=dict, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    needs_stamp = models.BooleanField(_("须盖章"), default=False)
    needs_signature = models.BooleanField(_("须客户签字"), default=False)
    original = models.BooleanField(_("原始资料(不外借)"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # Who signs the piece off before it counts, in order: [{"role": …, "department":
    # "customer" | "requester" | "any"}], the approval steps' shape (issue 27 §6).
    confirm = models.JSONField(_("确认"), default=list, blank=True)
    # Its own retention (Y, D30, D10, D3, …) where this kind of document ends before its
    # dossier (002 篇3 4.3.5: expired complaint and quality records); blank: the dossier's.
    retention = models.CharField(_("单独保管期限"), max_length=8, blank=True)

    class Meta:
        ordering = ["archive_type", "position", "id"]
        verbose_name = _("清单项")
        verbose_name_plural = _("清单项")
        constraints = [
            models.UniqueConstraint(fields=["archive_type", "code"], name="item_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class NumberSequence(models.Model):
    """The last number handed out for one numbering prefix; only ever increases."""

    key = models.CharField(max_length=100, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


# The unit of each part of a location (Dossier.LOCATION_FIELDS) that is a plain number.
_LOCATION_UNITS = (
    None,
    _("%(n)s柜"),
    _("%(n)s层"),
    _("%(n)s盒"),
    _("%(n)s号"),
)


class Dossier(TimeStamped):
    class Status(models.TextChoices):
        FILED = "filed", _("在档")
        ON_LOAN = "on_loan", _("借出")
        TERMINATED = "terminated", _("已终止")
        MOVED_OUT = "moved_out", _("迁出")
        APPRAISAL = "appraisal", _("待鉴定")
        PENDING_DISPOSAL = "pending_disposal", _("待销毁")
        DESTROYED = "destroyed", _("已销毁")
        LEGAL_HOLD = "legal_hold", _("冻结")

    Confidentiality = Confidentiality

    archive_number = models.CharField(_("档号"), max_length=64, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        null=True,
        blank=True,
    )
    # The keeping department of a dossier of a customer-less type (ArchiveType.customer_less).
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    archive_type = models.ForeignKey(
        ArchiveType, verbose_name=_("档案类型"), on_delete=models.PROTECT, related_name="dossiers"
    )
    title = models.CharField(_("案卷题名"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default="filed")
    confidentiality = models.CharField(
        _("密级"), max_length=16, choices=Confidentiality.choices, default="normal"
    )
    retention = models.CharField(_("保管期限"), max_length=8)
    volume_year = models.PositiveSmallIntegerField(_("年度"))
    fields = models.JSONField(_("业务字段"), default=dict, blank=True)
    location_room = models.CharField(_("库房"), max_length=40, blank=True)
    location_cabinet = models.CharField(_("柜"), max_length=40, blank=True)
    location_shelf = models.CharField(_("架/层"), max_length=40, blank=True)
    location_box = models.CharField(_("盒"), max_length=40, blank=True)
    location_position = models.CharField(_("位置"), max_length=40, blank=True)
    # The type's placement fields in natural order (1号楼 < 4号楼 < 14号楼; 3-903 < 3-1203):
    # the order of a type's list when the type says how bags are placed.
    # Nullable so that adding it is a plain ADD COLUMN on SQLite: a NOT NULL column makes
    # Django rebuild the table, which the search trigger on dossiers does not survive.
    placement_key = models.CharField(max_length=250, null=True, blank=True, editable=False)  # noqa: DJ001
    # 年度立卷 (archives.volumes): the closed year this dossier is bound in, its number
    # there (卷号), and whether it is bound apart (terminated and moved out, seed 001).
    year_volume = models.ForeignKey(
        "archives.YearVolume",
        verbose_name=_("年度卷"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
    )
    volume_number = models.PositiveIntegerField(_("卷号"), null=True, blank=True)
    bound_apart = models.BooleanField(_("另行装订"), default=False)
    # The place of the archive room's tree (dangan.locations) the texts above name, if any.
    location_node = models.ForeignKey(
        "locations.Location",
        verbose_name=_("存放位置节点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("档案")
        verbose_name_plural = _("档案")
        constraints = [
            # A customer's dossier, or a department's file: never neither.
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(department__isnull=False),
                name="dossier_customer_or_department",
            ),
            # Bound in a closed year with a number, or not bound at all.
            models.CheckConstraint(
                condition=models.Q(
                    year_volume__isnull=True, volume_number__isnull=True, bound_apart=False
                )
                | models.Q(year_volume__isnull=False, volume_number__isnull=False),
                name="dossier_volume_numbered",
            ),
            # One number per dossier in a year's volumes, and one in its catalogue apart.
            models.UniqueConstraint(
                fields=["year_volume", "bound_apart", "volume_number"],
                condition=models.Q(year_volume__isnull=False),
                name="dossier_volume_number_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["archive_type", "status"]),
            # Which of a few hundred dossiers lie above a reader's clearance (the search's
            # counts, policy.dossiers_hidden): probes of this index, not of the rows.
            models.Index(fields=["confidentiality", "id"], name="dossier_confidentiality"),
            models.Index(fields=["archive_type", "placement_key"], name="dossier_placement"),
        ]

    def __str__(self) -> str:
        return f"{self.archive_number} {self.title}".strip()

    @property
    def owner_department(self) -> Any:
        """The department whose file this is: its customer's, or a company file's own
        keeping department (#23 §8). Approval steps bound to the "customer" side sign in it."""
        if self.customer is not None:
            return self.customer.department
        return self.department

    LOCATION_FIELDS = (
        "location_room",
        "location_cabinet",
        "location_shelf",
        "location_box",
        "location_position",
    )

    @property
    def location_parts(self) -> list[str]:
        """Room › cabinet › shelf › box › position as a clerk reads it (档案室A › 03柜 …):
        a number gets its unit, in the reader's language; a name is shown as it is."""
        return location_parts({name: getattr(self, name) for name in self.LOCATION_FIELDS})


def location_parts(place: dict[str, str]) -> list[str]:
    """Dossier.location_parts of a place given as {location field: value} (the archive
    room's tree builds one path per place with it, without making a Dossier for each)."""
    parts = []
    for name, unit in zip(Dossier.LOCATION_FIELDS, _LOCATION_UNITS, strict=True):
        value = place.get(name)
        if value:
            parts.append(str(unit) % {"n": value} if unit and value.isdigit() else value)
    return parts


class DossierTransition(models.Model):
    """One allowed move of a dossier's status (the lifecycle's transition table, kept as
    data: seeded by a migration, read by archives.lifecycle). `channel` says which path may
    take it: a person through the dossier page or the API, the loan desk, or disposal."""

    class Channel(models.TextChoices):
        MANUAL = "manual", _("人工登记")
        LOAN = "loan", _("借阅")
        DISPOSAL = "disposal", _("鉴定销毁")

    from_status = models.CharField(_("原状态"), max_length=20, choices=Dossier.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Dossier.Status.choices)
    channel = models.CharField(_("途径"), max_length=16, choices=Channel.choices)
    permission = models.CharField(_("所需权限"), max_length=40)
    label = models.CharField(_("操作名称"), max_length=40)
    # Only back to the state the dossier was in before the current one (a legal hold
    # returns to the state it froze; an appraisal that keeps the file, to where it was).
    to_prior = models.BooleanField(_("仅回到原状态"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("档案状态转换")
        verbose_name_plural = _("档案状态转换")
        constraints = [
            models.UniqueConstraint(
                fields=["from_status", "to_status"], name="dossier_transition_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class DossierStatusChange(models.Model):
    """A move of a dossier's status as it happened: who, when, why, effective from when."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=20, choices=Dossier.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Dossier.Status.choices)
    channel = models.CharField(_("途径"), max_length=16, choices=DossierTransition.Channel.choices)
    reason = models.CharField(_("原因"), max_length=500)
    effective = models.DateField(_("生效日期"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("档案状态记录")
        verbose_name_plural = _("档案状态记录")
        indexes = [models.Index(fields=["dossier", "-at"], name="status_change_dossier")]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.from_status} → {self.to_status}"


class DossierKey(models.Model):
    """A business key held by one dossier (archives.keys): the constraint keeps a second
    dossier of the same type from holding the same VIN, unit or member number."""

    archive_type = models.ForeignKey(ArchiveType, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    value = models.CharField(max_length=200)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["archive_type", "name", "value"], name="dossier_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class DossierPart(models.Model):
    """A dated part inside one dossier (卷内分组): each service visit, each stay, kept in
    the one bag of the car or the guest rather than in a new dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="parts")
    label = models.CharField(_("分组名称"), max_length=100)
    date = models.DateField(_("日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "-date", "-id"]
        verbose_name = _("卷内分组")
        verbose_name_plural = _("卷内分组")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.label}"


class YearVolume(models.Model):
    """年度立卷: a year closed for an archive type, for one department or all (seed 003
    第7、14条): the dossiers the type's cross-year rule places in that year, frozen for it
    and numbered 1..n (卷号); those terminated or moved out that year bound apart with
    numbers and a catalogue of their own (seed 001). archives.volumes closes it."""

    archive_type = models.ForeignKey(
        ArchiveType, verbose_name=_("档案类型"), on_delete=models.PROTECT, related_name="+"
    )
    # None: every department's dossiers of the type.
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    # The type's rule when the year was closed (the type may change it later).
    cross_year = models.CharField(
        _("跨年度立卷规则"), max_length=12, choices=ArchiveType.CrossYear.choices
    )
    # How many were bound when the year was closed (a volume bound apart later leaves it).
    volumes = models.PositiveIntegerField(_("卷数"), default=0)
    apart = models.PositiveIntegerField(_("另行装订卷数"), default=0)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立卷人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    closed_at = models.DateTimeField(_("立卷时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "archive_type", "department", "id"]
        verbose_name = _("年度立卷")
        verbose_name_plural = _("年度立卷")
        constraints = [
            # A year is closed once per type and department, and once for all departments
            # (that one and a department's exclude each other: checked under the type's lock).
            models.UniqueConstraint(
                fields=["archive_type", "department", "year"],
                condition=models.Q(department__isnull=False),
                name="year_volume_department_unique",
            ),
            models.UniqueConstraint(
                fields=["archive_type", "year"],
                condition=models.Q(department__isnull=True),
                name="year_volume_all_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.archive_type.code} {self.year}"
