"""Column mapping: the fields a sheet's columns can be imported as, the headers
recognised for each, and the mapping remembered per header row."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives.models import ArchiveType
from dangan.core import identifiers
from dangan.customers.models import Customer
from dangan.importer.models import ColumnMapping

IGNORE = ""

# Target field → (label, header spellings recognised without a remembered mapping).
TARGETS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": (_("名称"), ("名称", "客户名称", "姓名", "客户姓名", "单位名称", "客户")),
    "kind": (_("客户类型"), ("客户类型", "类型")),
    "id_type": (_("证件类型"), ("证件类型",)),
    "id_number": (_("证件号码"), ("证件号码", "证件号", "身份证号", "身份证号码", "身份证")),
    "uscc": (_("统一社会信用代码"), ("统一社会信用代码", "信用代码", "社会信用代码")),
    "mobile": (_("手机号码"), ("手机号码", "手机", "手机号", "联系电话", "移动电话")),
    "phone": (_("其他电话"), ("其他电话", "固定电话", "电话", "座机")),
    "gender": (_("性别"), ("性别",)),
    "birth_date": (_("出生日期"), ("出生日期", "生日")),
    "address": (_("地址"), ("地址", "住址", "联系地址", "通讯地址")),
    "email": (_("电子邮箱"), ("电子邮箱", "邮箱", "email", "e-mail")),
    "legal_representative": (_("法定代表人"), ("法定代表人", "法人", "法人代表")),
    "industry": (_("所属行业"), ("所属行业", "行业")),
    "scale": (_("规模"), ("规模",)),
    "tier": (_("客户等级"), ("客户等级", "等级")),
    "stage": (_("客户阶段"), ("客户阶段", "阶段")),
    "category": (_("客户性质"), ("客户性质", "性质")),
    "credit_rating": (_("信用等级"), ("信用等级",)),
    "registered_capital": (_("注册资本(万元)"), ("注册资本", "注册资本(万元)")),
    "credit_limit": (_("信用额度(元)"), ("信用额度", "信用额度(元)")),
    "remarks": (_("备注"), ("备注", "说明")),
    "owner": (_("客户经理"), ("客户经理", "负责人", "经办人")),
    "archive_type": (_("档案类型"), ("档案类型", "档案类型代码")),
}
_CHOICES = {
    "kind": Customer.Kind,
    "id_type": Customer.IdType,
    "gender": Customer.Gender,
    "tier": Customer.Tier,
    "stage": Customer.Stage,
    "category": Customer.Category,
}
_DATES = {"birth_date"}
_DECIMALS = {"registered_capital", "credit_limit"}
_DIGIT_FIELDS = {"id_number", "uscc", "mobile", "phone"}


def targets(archive_type: ArchiveType | None) -> list[tuple[str, str]]:
    """The choices of the mapping dropdowns: customer fields, then the type's own fields."""
    choices = [(key, str(label)) for key, (label, _aliases) in TARGETS.items()]
    if archive_type is not None:
        for spec in archive_type.field_schema():
            choices.append((f"field:{spec['key']}", f"{archive_type.name}·{spec['label']}"))
    return choices


def header_signature(headers: list[str]) -> str:
    joined = "\x1f".join(identifiers.normalize(h).lower() for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: list[str], archive_type: ArchiveType | None) -> dict[str, str]:
    """The remembered mapping for this header row, else one guessed from the headers."""
    remembered = ColumnMapping.objects.filter(signature=header_signature(headers)).first()
    if remembered is not None:
        return {h: str(remembered.mapping.get(h, IGNORE)) for h in headers}
    aliases: dict[str, str] = {}
    for key, (_label, spellings) in TARGETS.items():
        for spelling in spellings:
            aliases.setdefault(identifiers.normalize(spelling).lower(), key)
    if archive_type is not None:
        for spec in archive_type.field_schema():
            aliases.setdefault(identifiers.normalize(spec["label"]).lower(), f"field:{spec['key']}")
            aliases.setdefault(spec["key"].lower(), f"field:{spec['key']}")
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = aliases.get(identifiers.normalize(header).lower(), IGNORE)
        if key and key in used:
            key = IGNORE
        used.add(key)
        mapping[header] = key
    return mapping


def mapping_remember(headers: list[str], mapping: dict[str, str]) -> None:
    ColumnMapping.objects.update_or_create(
        signature=header_signature(headers), defaults={"headers": headers, "mapping": mapping}
    )
