from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangan.core import crypto
from dangan.core.models import TimeStamped

_ID_TAIL = re.compile(r"^[0-9]{3,5}[0-9X]$")


def identity_lookup(norm: str) -> tuple[str, str] | None:
    """The lookup column of Customer and the keyed hash that find a resident ID typed
    whole (18 characters) or by its last 4 to 6, given identifiers.normalize'd; None for
    anything else. Identity numbers are stored encrypted: only these hashes are searched."""
    if len(norm) == 18:
        return "id_number_lookup", crypto.lookup_hash(f"resident_id:{norm}")
    if _ID_TAIL.match(norm):
        purpose = f"last{len(norm)}"  # the pattern allows 4 to 6 characters
        return f"id_{purpose}_lookup", crypto.lookup_hash(norm, purpose=purpose)
    return None


class Customer(TimeStamped):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("个人")
        ORGANIZATION = "organization", _("单位")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("居民身份证")
        PASSPORT = "passport", _("护照")
        HK_MACAO_PASS = "hk_macao", _("港澳居民来往内地通行证")
        TAIWAN_PASS = "taiwan", _("台湾居民来往大陆通行证")
        OTHER = "other", _("其他证件")

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Tier(models.TextChoices):
        KEY = "key", _("主力客户")
        NORMAL = "normal", _("一般客户")
        SCATTERED = "scattered", _("零散客户")

    class Stage(models.TextChoices):
        POTENTIAL = "potential", _("潜在客户")
        NEW = "new", _("新客户")
        EXISTING = "existing", _("老客户")
        LOST = "lost", _("流失客户")
        TERMINATED = "terminated", _("终止客户")

    class Category(models.TextChoices):
        GOVERNMENT = "government", _("政府机构")
        SPECIAL = "special", _("特殊公司")
        COMPANY = "company", _("普通公司")
        PERSON = "person", _("个人")
        PARTNER = "partner", _("交易伙伴")

    kind = models.CharField(_("客户类型"), max_length=16, choices=Kind.choices)
    # Indexed with the id (Meta.indexes): exact-name lookups want the newest first.
    name = models.CharField(_("名称"), max_length=100)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_type = models.CharField(_("证件类型"), max_length=16, choices=IdType.choices, blank=True)
    # Identity numbers are stored encrypted; the lookup columns are keyed hashes that
    # make exact and last-4/5/6 searches possible without decrypting (STANDARDS 32).
    id_number_encrypted = models.TextField(blank=True)
    id_number_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    id_last4_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    id_last5_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    id_last6_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True, db_index=True)
    phone = models.CharField(_("其他电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    # Organisation
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    uscc_override_reason = models.CharField(
        _("校验未通过的信用代码确认理由"), max_length=200, blank=True
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    registered_capital = models.DecimalField(
        _("注册资本(万元)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    industry = models.CharField(_("所属行业"), max_length=64, blank=True)
    scale = models.CharField(_("规模"), max_length=64, blank=True)
    # Classification and responsibility
    tier = models.CharField(_("客户等级"), max_length=16, choices=Tier.choices, blank=True)
    stage = models.CharField(_("客户阶段"), max_length=16, choices=Stage.choices, blank=True)
    category = models.CharField(_("客户性质"), max_length=16, choices=Category.choices, blank=True)
    credit_rating = models.CharField(_("信用等级"), max_length=4, blank=True)
    credit_limit = models.DecimalField(
        _("信用额度(元)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            # "Customers named 王伟, newest first" (the search ranks exact names first):
            # PostgreSQL walks this backwards and stops at the limit, where an index on
            # the name alone fetched every row of a common name to sort them. SQLite's
            # index entries end with the row id anyway.
            models.Index(fields=["name", "id"], name="customer_name_newest"),
            # The customer list, newest first (Meta.ordering): walked backwards, it hands
            # over a page without sorting every customer (1.8 s at a million).
            models.Index(fields=["created_at", "id"], name="customer_newest"),
            # An account manager's list (scope "own"), newest first: SQLite sorted all of
            # their customers for each page (0.2 s for 37,500).
            models.Index(fields=["owner", "created_at", "id"], name="customer_owner_newest"),
        ]
        constraints = [
            # One customer per identity document (一户一档): the lookup hash is unique
            # whenever an ID number is on file.
            models.UniqueConstraint(
                fields=["id_type", "id_number_lookup"],
                condition=~models.Q(id_number_lookup=""),
                name="customer_unique_identity",
            ),
            models.UniqueConstraint(
                fields=["uscc"], condition=~models.Q(uscc=""), name="customer_unique_uscc"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["individual", "organization"]),
                name="customer_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number(self) -> str:
        """The decrypted identity number; callers mask it unless the policy allows."""
        if not self.id_number_encrypted:
            return ""
        return crypto.decrypt(self.id_number_encrypted)


class RelatedPerson(models.Model):
    class Relation(models.TextChoices):
        AGENT = "agent", _("代理人")
        CO_OWNER = "co_owner", _("共有人")
        GUARDIAN = "guardian", _("监护人")
        EMERGENCY = "emergency", _("紧急联络人")
        CONTACT = "contact", _("联系人")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="related_persons")
    relation = models.CharField(_("关系"), max_length=16, choices=Relation.choices)
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    id_number_encrypted = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("关联人")
        verbose_name_plural = _("关联人")

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"
