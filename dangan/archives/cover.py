"""What an archive type prints on its bag's face (档案袋封面): a list of entries declared in its
YAML template (``cover:``), each a source and an optional label, e.g. the car bag's nine
(seed 003 #5 一.1) or the property bag's house number and owner (seed 002 4.2).

A source is ``customer.<attribute>``, ``dossier.<attribute>`` or ``fields.<key>`` (one of the
type's own fields). The loader checks them; the printer reads them (paper.printing)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError

CUSTOMER_SOURCES = {
    "name": _("客户名称"),
    "mobile": _("联系电话"),
    "phone": _("其他电话"),
    "address": _("地址"),
    "uscc": _("统一社会信用代码"),
    "legal_representative": _("法定代表人"),
    "owner": _("客户经理"),
}
DOSSIER_SOURCES = {
    "title": _("案卷题名"),
    "volume_year": _("年度"),
    "retention": _("保管期限"),
}


def clean_cover(entries: Any, field_labels: dict[str, str]) -> list[dict[str, str]]:
    """The ``cover:`` list as stored: [{"key": "fields.vin", "label": "车架号码"}, ...].
    An entry is a source string or a mapping with ``key`` and ``label``; an unknown source,
    a duplicate or another shape raises ApplicationError naming it."""
    if entries in (None, ""):
        return []
    if not isinstance(entries, list):
        raise ApplicationError(_("封面字段须为列表"), field="cover")
    cleaned: list[dict[str, str]] = []
    for entry in entries:
        if isinstance(entry, str):
            key, label = entry, ""
        elif isinstance(entry, dict) and set(entry) <= {"key", "label"} and "key" in entry:
            key, label = str(entry["key"]), str(entry.get("label") or "")
        else:
            raise ApplicationError(_("封面字段格式有误:%(e)s") % {"e": entry}, field="cover")
        root, _sep, name = key.partition(".")
        known = (
            (root == "customer" and name in CUSTOMER_SOURCES)
            or (root == "dossier" and name in DOSSIER_SOURCES)
            or (root == "fields" and name in field_labels)
        )
        if not known:
            raise ApplicationError(_("封面字段未知:%(k)s") % {"k": key}, field="cover")
        if any(done["key"] == key for done in cleaned):
            raise ApplicationError(_("封面字段重复:%(k)s") % {"k": key}, field="cover")
        cleaned.append({"key": key, "label": label})
    return cleaned


def default_label(key: str, field_labels: dict[str, str]) -> str:
    root, _sep, name = key.partition(".")
    if root == "customer":
        return str(CUSTOMER_SOURCES[name])
    if root == "dossier":
        return str(DOSSIER_SOURCES[name])
    return field_labels.get(name, name)
