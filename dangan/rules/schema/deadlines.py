"""Submission deadlines (移交期限) and the variants a template offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.rules.schema.checklist import FieldSpec
from dangan.rules.schema.common import _fail, _known_keys, _listing, _mapping, _text, _whole

DEADLINE_KINDS = (
    "working_days_after",
    "days_after",
    "hours_after",
    "weekly",
    "monthly",
    "conditional",
)
# The number each counting kind needs, by its key.
_DEADLINE_NUMBERS = {"working_days_after": "days", "days_after": "days", "hours_after": "hours"}


# --- deadlines --------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    """One submission deadline (移交期限); see dangan.intake.deadlines for the counting.
    `field` is the date field counted from ("" for weekly/monthly: the filing date)."""

    kind: str
    field: str = ""
    days: int = 0
    hours: int = 0
    weekday: int = 5
    day: int = 1
    condition: Mapping[str, Any] = dc_field(default_factory=dict)
    then: DeadlineRule | None = None
    otherwise: DeadlineRule | None = None
    note: str = ""

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "conditional":
            out["if"] = dict(self.condition)
            out["then"] = self.then.stored() if self.then else {}
            out["else"] = self.otherwise.stored() if self.otherwise else {}
        else:
            if self.field:
                out["field"] = self.field
            if self.kind in ("working_days_after", "days_after"):
                out["days"] = self.days
            if self.kind == "hours_after":
                out["hours"] = self.hours
            if self.kind == "weekly":
                out["weekday"] = self.weekday
            if self.kind == "monthly":
                out["day"] = self.day
        if self.note:
            out["note"] = self.note
        return out


def parse_deadline(
    value: Any, fields: tuple[FieldSpec, ...], section: str = "deadline", where: str = ""
) -> DeadlineRule | None:
    """A deadline rule, None for "no deadline" (an empty mapping); an unknown kind, a
    count from a field that is no date, or a non-positive number is refused."""
    if value in (None, {}, ""):
        return None
    label = where or str(_("移交期限规则"))
    raw = _mapping(value, section, label)
    kind = raw.get("kind")
    if kind not in DEADLINE_KINDS:
        raise _fail(section, _("%(w)s的类型“%(k)s”未知") % {"w": label, "k": kind})
    allowed = {"kind", "note", "field", "days", "hours", "weekday", "day", "if", "then", "else"}
    _known_keys(raw, allowed, section, label)
    note = _text(raw.get("note"), section, _("说明"), limit=500, required=False)
    if kind == "conditional":
        condition = raw.get("if")
        keys = {spec.key for spec in fields}
        if not isinstance(condition, dict) or not condition:
            raise _fail(section, _("%(w)s:按条件的期限须写明条件") % {"w": label})
        unknown = [str(k) for k in condition if k not in keys]
        if unknown:
            raise _fail(section, _("%(w)s:条件字段“%(k)s”不存在") % {"w": label, "k": unknown[0]})
        then = parse_deadline(raw.get("then"), fields, section, f"{label}·{_('满足时')}")
        otherwise = parse_deadline(raw.get("else"), fields, section, f"{label}·{_('否则')}")
        return DeadlineRule(
            kind=kind, condition=dict(condition), then=then, otherwise=otherwise, note=note
        )
    dates = {spec.key for spec in fields if spec.type == "date"}
    start = str(raw.get("field") or "")
    if (kind in _DEADLINE_NUMBERS or start) and start not in dates:
        raise _fail(
            section, _("%(w)s:起算日期“%(f)s”不是本类型的日期字段") % {"w": label, "f": start}
        )
    rule = DeadlineRule(kind=kind, field=start, note=note)
    if kind in ("working_days_after", "days_after"):
        days = _whole(raw.get("days"), section, _("%(w)s的天数") % {"w": label}, 1, 3650)
        return DeadlineRule(kind=kind, field=start, days=days, note=note)
    if kind == "hours_after":
        hours = _whole(raw.get("hours"), section, _("%(w)s的小时数") % {"w": label}, 1, 24 * 365)
        return DeadlineRule(kind=kind, field=start, hours=hours, note=note)
    if kind == "weekly":
        weekday = _whole(raw.get("weekday", 5), section, _("星期"), 1, 7)
        return DeadlineRule(kind=kind, field=start, weekday=weekday, note=note)
    if kind == "monthly":
        day = _whole(raw.get("day", 1), section, _("每月日期"), 1, 31)
        return DeadlineRule(kind=kind, field=start, day=day, note=note)
    return rule


@dataclass(frozen=True)
class DeadlineVariant:
    key: str
    label: str
    rule: DeadlineRule
    note: str = ""

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "rule": self.rule.stored()}
        if self.note:
            out["note"] = self.note
        return out

    def in_force(self) -> DeadlineRule:
        """The rule as ArchiveType.deadline holds it when this variant is chosen."""
        if self.note and not self.rule.note:
            return DeadlineRule(**{**self.rule.__dict__, "note": self.note})
        return self.rule


def parse_variants(value: Any, fields: tuple[FieldSpec, ...]) -> tuple[DeadlineVariant, ...]:
    variants: list[DeadlineVariant] = []
    for n, raw in enumerate(_listing(value, "deadline_variants"), start=1):
        where = _("第%(n)s种期限规则") % {"n": n}
        raw = _mapping(raw, "deadline_variants", where)
        _known_keys(raw, {"key", "label", "note", "rule"}, "deadline_variants", where)
        key = _text(raw.get("key"), "deadline_variants", _("%(w)s的代码") % {"w": where}, limit=32)
        if any(v.key == key for v in variants):
            raise _fail("deadline_variants", _("期限规则代码“%(k)s”重复") % {"k": key})
        rule = parse_deadline(raw.get("rule"), fields, "deadline_variants", where)
        if rule is None:
            raise _fail("deadline_variants", _("%(w)s须写明规则") % {"w": where})
        label = _text(raw.get("label"), "deadline_variants", _("名称"), limit=200)
        note = _text(raw.get("note"), "deadline_variants", _("说明"), limit=500, required=False)
        variants.append(DeadlineVariant(key=key, label=label, rule=rule, note=note))
    return tuple(variants)
