"""A sample sheet to fill in, per archive type (#29): the headers the importer
recognises, one example row, the type's own fields, and a note on each column (as a
comment on its header cell, and on a second sheet 填写说明)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.core import xlsx
from dangan.importer.services.jobs import _archive_type
from dangan.importer.services.mapping import _CHOICES, TARGETS

# Customer columns of the sample, with an example value and a note. The other fields
# (TARGETS) are recognised too; the sample keeps to what a clerk usually has.
_CUSTOMER_COLUMNS: list[tuple[str, str, Any]] = [
    ("name", "张三", lambda: _("必填。个人填姓名,单位填全称")),
    ("kind", "个人", lambda: _("个人 或 单位;不填时按有无统一社会信用代码判断")),
    ("id_type", "居民身份证", lambda: _("不填时为居民身份证")),
    ("id_number", "11010519491231002X", lambda: _("个人客户填写;请用文本格式,以免变成科学计数法")),
    ("uscc", "", lambda: _("单位客户填写 18 位统一社会信用代码")),
    ("mobile", "13800138000", lambda: _("11 位手机号码")),
    ("phone", "", lambda: _("固定电话等,可不填")),
    ("gender", "男", lambda: _("男 或 女")),
    ("birth_date", "1949-12-31", lambda: _("例如 1990-01-02、1990/1/2、1990年1月2日")),
    ("address", "北京市朝阳区示例路 1 号", lambda: _("可不填")),
    ("email", "", lambda: _("可不填")),
    ("tier", "", lambda: _("可不填")),
    ("stage", "", lambda: _("可不填")),
    ("owner", "", lambda: _("客户经理的用户名或姓名;不填时为导入人")),
    ("remarks", "", lambda: _("可不填")),
]

_EXAMPLES = {
    "vin": "LSVAU2180N2183294",
    "date": "2026-01-15",
    "number": "1",
    "money": "1000.00",
    "bool": "是",
    "mobile": "13900139000",
}


def _field_note(spec: dict[str, Any]) -> str:
    parts = [_("必填") if spec.get("required") else _("可不填")]
    if spec.get("choices"):
        parts.append(_("可选值:%(values)s") % {"values": "、".join(map(str, spec["choices"]))})
    if spec.get("type") == "date":
        parts.append(_("日期,例如 2026-01-15"))
    if spec.get("type") == "bool":
        parts.append(_("是 或 否"))
    return ";".join(parts)


def _field_example(spec: dict[str, Any]) -> str:
    if spec.get("choices"):
        return str(spec["choices"][0])
    return _EXAMPLES.get(str(spec.get("type")), "")


def sample_sheet(*, actor: User, archive_type: str = "") -> tuple[bytes, str]:
    """The sample workbook for `archive_type` (a code, or "" for customers only) and a
    file name for it."""
    policy.require(actor, perms.DATA_IMPORT)
    atype: ArchiveType | None = _archive_type(archive_type)
    headers: list[str] = []
    example: list[Any] = []
    notes: list[str] = []
    for key, value, note in _CUSTOMER_COLUMNS:
        headers.append(str(TARGETS[key][0]))
        example.append(value)
        text = note()
        if key in _CHOICES:
            labels = "、".join(str(label) for _value, label in _CHOICES[key].choices)
            text += ";" + _("可选值:%(values)s") % {"values": labels}
        notes.append(text)
    if atype is not None:
        for spec in atype.field_schema():
            headers.append(str(spec["label"]))
            example.append(_field_example(spec))
            notes.append(_field_note(spec))
    comments = dict(enumerate(notes))
    sheets = [
        xlsx.Sheet(_("客户"), headers, [example], comments=comments),
        xlsx.Sheet(
            _("填写说明"),
            [_("列"), _("说明")],
            [
                [_("(全表)"), _("第 1 行为表头,从第 2 行起每行一位客户;示例行请删除后再导入")],
                *([h, n] for h, n in zip(headers, notes, strict=True)),
            ],
        ),
    ]
    name = f"import-sample-{atype.code}.xlsx" if atype else "import-sample.xlsx"
    return xlsx.workbook_bytes(sheets), name
