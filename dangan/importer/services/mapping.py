"""Column mapping: the fields a sheet's columns can be imported as, the headers
recognised for each, and the mapping remembered per header row."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives.models import ArchiveType
from dangan.core import identifiers
from dangan.core.errors import ApplicationError
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


# A note in brackets ("手机号(必填)", "【选填】"), and the marks around a header: a
# required-field star, a colon, spaces. Full-width forms are made half-width first (NFKC).
_NOTES = re.compile(r"[(\[【〔<《{][^)\]】〕>》}]*[)\]】〕>》}]")
_MARKS = re.compile(r"[*※#:\s]")


def header_key(header: str) -> str:
    """A header as it is matched: full- and half-width alike, without notes in brackets,
    star marks and spaces, in lower case: "手机号（必填）", "*手机号", "手机号 (选填)"
    are all "手机号". A header that is nothing but a note keeps it."""
    text = unicodedata.normalize("NFKC", str(header))
    return (_MARKS.sub("", _NOTES.sub("", text)) or _MARKS.sub("", text)).lower()


def unused_columns(mapping: dict[str, str]) -> list[str]:
    """The sheet's columns that are not imported (each is listed to the user)."""
    return [header for header, field in mapping.items() if not field]


def header_signature(headers: list[str]) -> str:
    joined = "\x1f".join(identifiers.normalize(h).lower() for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: list[str], archive_type: ArchiveType | None) -> dict[str, str]:
    """The remembered mapping for this header row, else one guessed from the headers."""
    remembered = ColumnMapping.objects.filter(signature=header_signature(headers)).first()
    if remembered is not None:
        return {h: str(remembered.mapping.get(h, IGNORE)) for h in headers}
    aliases = _aliases(archive_type)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = aliases.get(header_key(header), IGNORE)
        if key and key in used:
            key = IGNORE
        used.add(key)
        mapping[header] = key
    return mapping


def _aliases(archive_type: ArchiveType | None) -> dict[str, str]:
    """header_key of every spelling recognised → the field it is imported as."""
    aliases: dict[str, str] = {}
    for key, (label, spellings) in TARGETS.items():
        for spelling in (*spellings, str(label)):
            aliases.setdefault(header_key(spelling), key)
    if archive_type is not None:
        for spec in archive_type.field_schema():
            aliases.setdefault(header_key(spec["label"]), f"field:{spec['key']}")
            aliases.setdefault(spec["key"].lower(), f"field:{spec['key']}")
    return aliases


def parse_map(items: list[str]) -> dict[str, str]:
    """`表头=字段` items (the CLI's --map, the API's map) as {header: field}."""
    found: dict[str, str] = {}
    for item in items:
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            raise ApplicationError(
                _("列映射“%(item)s”应写作“表头=字段”") % {"item": item}, field="map"
            )
        found[header.strip()] = field.strip()
    return found


def _target(text: str, archive_type: ArchiveType | None) -> str:
    """A field given by its key (mobile, field:vin) or its label (手机号码, 车架号)."""
    if not text:
        return IGNORE
    choices = targets(archive_type)
    keys = {key for key, _label in choices}
    if text in keys:
        return text
    if f"field:{text}" in keys:
        return f"field:{text}"
    wanted = header_key(text)
    for key, label in choices:
        if wanted in (header_key(label), header_key(label.rpartition("·")[2])):
            return key
    found = _aliases(archive_type).get(wanted)
    if found:
        return found
    raise ApplicationError(
        _("未知的字段“%(field)s”;可用的字段:%(fields)s")
        % {"field": text, "fields": "、".join(label for _key, label in choices)},
        field="map",
    )


def mapping_override(
    headers: list[str],
    mapping: dict[str, str],
    overrides: dict[str, str],
    archive_type: ArchiveType | None,
) -> dict[str, str]:
    """`mapping` with the columns the user mapped themselves (header → field key or
    label; an empty field: not imported). A field takes one column: the column it came
    from before is then not imported."""
    result = dict(mapping)
    by_key = {header_key(h): h for h in headers}
    for given, field in overrides.items():
        header = given if given in result else by_key.get(header_key(given))
        if header is None:
            raise ApplicationError(
                _("表格中没有“%(header)s”列;表格的列:%(headers)s")
                % {"header": given, "headers": "、".join(headers)},
                field="map",
            )
        target = _target(field, archive_type)
        if target:
            for other, chosen in result.items():
                if chosen == target and other != header:
                    result[other] = IGNORE
        result[header] = target
    return result


def mapping_remember(headers: list[str], mapping: dict[str, str]) -> None:
    ColumnMapping.objects.update_or_create(
        signature=header_signature(headers), defaults={"headers": headers, "mapping": mapping}
    )
