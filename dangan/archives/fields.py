"""Custom fields defined by an archive type's schema: checking and normalising values."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.core import identifiers
from dangan.core.errors import ValidationFailed

FIELD_TYPES = (
    "text",
    "vin",
    "unit",
    "date",
    "number",
    "money",
    "bool",
    "choice",
    "member_no",
    "mobile",
)

# A date field may declare the reminder it feeds (issue 26): each yearly return of the date
# (`anniversary`: contract, purchase, delivery), or the day itself (`move_in`, `contract_end`).
REMIND_KINDS = ("anniversary", "move_in", "contract_end")

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: str) -> datetime.date:
    """Dates as clerks write them: 2015-11-13, 2015.11.13, 2015/11/13, 2015年11月13日, 20151113."""
    text = identifiers.normalize(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
    raise ValueError(value)


def _clean_one(spec: dict[str, Any], raw: Any) -> Any:
    kind = spec.get("type", "text")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on", "是", "y"):
            return True
        if text in ("0", "false", "no", "off", "否", "n", ""):
            return False
        raise ValueError(_("请填写“是”或“否”"))
    text = identifiers.normalize(str(raw)) if kind != "text" else str(raw).strip()
    if kind == "vin":
        return identifiers.validate_vin(text)
    if kind == "mobile":
        return identifiers.validate_mobile(text)
    if kind == "date":
        try:
            return parse_date(text).isoformat()
        except ValueError:
            raise ValueError(_("日期格式不正确,例如 2015-11-13")) from None
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("请填写整数")) from None
    if kind == "money":
        try:
            amount = Decimal(text.replace(",", "").replace("¥", ""))
        except InvalidOperation:
            raise ValueError(_("金额格式不正确")) from None
        if not amount.is_finite():
            raise ValueError(_("金额格式不正确"))
        return str(amount.quantize(Decimal("0.01")))
    if kind == "choice":
        choices = [str(c) for c in spec.get("choices") or []]
        if text not in choices:
            raise ValueError(_("请从以下选项中选择:%(choices)s") % {"choices": "、".join(choices)})
        return text
    if len(text) > 200:
        raise ValueError(_("内容过长(最多200字)"))
    return text


def clean_custom_fields(
    schema: list[dict[str, Any]], data: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate `data` against `schema`; raise ValidationFailed naming every bad field.

    Unknown keys are refused rather than silently dropped, so a typo is noticed.
    """
    known = {spec["key"]: spec for spec in schema}
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for key in data:
        if key not in known:
            errors[f"fields.{key}"] = _("该档案类型没有此字段")
    for key, spec in known.items():
        raw = data.get(key)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if spec.get("required") and not partial and spec.get("type") != "bool":
                errors[f"fields.{key}"] = _("%(label)s为必填项") % {"label": spec["label"]}
            continue
        try:
            cleaned[key] = _clean_one(spec, raw)
        except identifiers.IdentifierError as exc:
            errors[f"fields.{key}"] = exc.message
        except ValueError as exc:
            errors[f"fields.{key}"] = exc.args[0] if exc.args else _("格式不正确")
    if errors:
        raise ValidationFailed(errors)
    return cleaned
