"""One row of the sheet turned into field values (in the reader's process: pure)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from dangan.archives import fields as archive_fields
from dangan.core import identifiers
from dangan.importer import readers
from dangan.importer.services.mapping import (
    _CHOICES,
    _DATES,
    _DECIMALS,
    _DIGIT_FIELDS,
    IGNORE,
    TARGETS,
)

# --- one row ----------------------------------------------------------------------------


class RowError(Exception):
    """A row refused with all it got wrong, and the name it gives (for the report). It
    crosses from the sheet reader's process: pickled by its args."""

    def __init__(self, errors: list[dict[str, str]], name: str = "") -> None:
        super().__init__(errors, name)
        self.errors = errors
        self.name = name


def _label(field: str) -> str:
    if field in TARGETS:
        return str(TARGETS[field][0])
    return field


def _cell_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if field in _DIGIT_FIELDS:
        text = text.lstrip("'")
    return text


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = readers.excel_serial_date(float(value))
        if found is None:
            raise ValueError(value)
        return found
    text = identifiers.normalize(str(value))
    if text.isdigit() and len(text) == 5:
        found = readers.excel_serial_date(float(text))
        if found is not None:
            return found
    return archive_fields.parse_date(text)


def _choice(field: str, text: str) -> str:
    choices = _CHOICES[field]
    if text in choices.values:
        return text
    with translation.override("zh-hans"):
        by_label = {str(label): value for value, label in choices.choices}
    if text in by_label:
        return by_label[text]
    with translation.override("en"):
        by_label = {str(label).lower(): value for value, label in choices.choices}
    if text.lower() in by_label:
        return by_label[text.lower()]
    raise ValueError(text)


def _parse_row(values: list[Any], headers: list[str], mapping: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for header, raw in zip(headers, values, strict=True):
        field = mapping.get(header, IGNORE)
        if not field:
            continue
        if field.startswith("field:"):
            key = field.removeprefix("field:")
            if isinstance(raw, int | float | datetime.date) and not isinstance(raw, bool):
                # Dates in a type's date fields may be real Excel dates or serial numbers.
                try:
                    custom[key] = _date(raw).isoformat()
                    continue
                except ValueError:
                    pass
            custom[key] = _cell_text(raw, field)
            continue
        text = _cell_text(raw, field)
        if not text:
            continue
        try:
            if field in _DATES:
                data[field] = _date(raw if not isinstance(raw, str) else text)
            elif field in _DECIMALS:
                data[field] = Decimal(text.replace(",", ""))
            elif field in _CHOICES:
                data[field] = _choice(field, text)
            else:
                data[field] = text
        except (ValueError, InvalidOperation):
            message = (
                gettext("日期格式无法识别:“%(value)s”")
                if field in _DATES
                else gettext("取值无效:“%(value)s”")
            ) % {"value": text}
            errors.append({"field": _label(field), "message": message})
    if errors:
        raise RowError(errors, str(data.get("name", "")))
    if custom:
        data["fields"] = custom
    return data


class Skipped:
    """A row that is not a customer and is left out, not refused: blank in every column
    that is imported, or a totals row (合计/小计/总计). Crosses from the reader's process."""

    BLANK = "blank"
    TOTAL = "total"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __reduce__(self) -> tuple[type[Skipped], tuple[str]]:
        return (Skipped, (self.reason,))


# A totals row: its name (or first) cell says 合计, 小计 or 总计, perhaps with spaces
# between the characters and more after them ("合 计", "总计:", "小计(3户)").
_TOTALS = re.compile(r"^\s*(合\s*计|小\s*计|总\s*计)")

Parsed = dict[str, Any] | RowError | Skipped


def _skipped(values: list[Any], headers: list[str], mapping: dict[str, str]) -> Skipped | None:
    name_cells = [v for h, v in zip(headers, values, strict=True) if mapping.get(h) == "name"]
    for value in [*name_cells, *values[:1]]:
        if isinstance(value, str) and _TOTALS.match(value):
            return Skipped(Skipped.TOTAL)
    mapped = [v for h, v in zip(headers, values, strict=True) if mapping.get(h, IGNORE)]
    if not any(_cell_text(v, "") for v in mapped):
        return Skipped(Skipped.BLANK)
    return None


def _parse_or_error(values: list[Any], headers: list[str], *, mapping: dict[str, str]) -> Parsed:
    """_parse_row for the reader (pipeline.parsed_sheet): a refused or skipped row is a
    value."""
    skipped = _skipped(values, headers, mapping)
    if skipped is not None:
        return skipped
    try:
        return _parse_row(values, headers, mapping)
    except RowError as exc:
        return exc
