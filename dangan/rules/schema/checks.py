"""The consistency rules checked at hand-over and the penalty rules of intake."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.intake.models import Finding
from dangan.rules.schema.checklist import FieldSpec
from dangan.rules.schema.common import (
    _fail,
    _given,
    _known_keys,
    _listing,
    _mapping,
    _money,
    _text,
    _whole,
)

# The seeds' names for groups of finding kinds, as the templates spell them.
PENALTY_ALIASES: dict[str, frozenset[str]] = {
    "missing_signature": frozenset({Finding.Kind.NO_SIGNATURE}),
    "incomplete": frozenset(
        {Finding.Kind.MISSING, Finding.Kind.WRONG, Finding.Kind.INCONSISTENT, Finding.Kind.NO_STAMP}
    ),
}
CUSTOMER_NAME = "customer_name"  # what a consistency rule may compare besides custom fields


# --- consistency and penalties ---------------------------------------------------------


@dataclass(frozen=True)
class ConsistencyRule:
    field: str
    documents: tuple[str, ...]
    label: str = ""

    def stored(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "documents": list(self.documents)}


def parse_consistency(
    value: Any, fields: tuple[FieldSpec, ...], codes: set[str]
) -> tuple[ConsistencyRule, ...]:
    rules: list[ConsistencyRule] = []
    keys = {spec.key for spec in fields} | {CUSTOMER_NAME}
    for n, raw in enumerate(_listing(value, "consistency"), start=1):
        where = _("第%(n)s条一致性规则") % {"n": n}
        raw = _mapping(raw, "consistency", where)
        _known_keys(raw, {"field", "label", "documents"}, "consistency", where)
        name = str(raw.get("field") or "")
        if name not in keys:
            raise _fail("consistency", _("%(w)s比对的字段“%(f)s”不存在") % {"w": where, "f": name})
        documents = tuple(str(c) for c in _listing(raw.get("documents"), "consistency"))
        if not documents:
            raise _fail("consistency", _("%(w)s须列出要比对的文件") % {"w": where})
        unknown = [c for c in documents if c not in codes]
        if unknown:
            raise _fail(
                "consistency", _("%(w)s的文件“%(c)s”不在清单中") % {"w": where, "c": unknown[0]}
            )
        label = _text(raw.get("label"), "consistency", _("说明"), limit=300, required=False)
        rules.append(ConsistencyRule(field=name, documents=documents, label=label))
    return tuple(rules)


def penalty_kind_names() -> frozenset[str]:
    """What a penalty rule's `finding` may name: a finding kind or a group of them."""
    return frozenset(Finding.Kind.values) | frozenset(PENALTY_ALIASES)


@dataclass(frozen=True)
class PenaltyRule:
    """{finding, amount, escalate_from, factor, label}: the n-th violation of a person in a
    month, n >= escalate_from (0: never), costs amount × factor (dangan.intake.penalties)."""

    finding: str
    amount: Decimal
    escalate_from: int = 0
    factor: Decimal = Decimal("1")
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.finding

    @property
    def kinds(self) -> frozenset[str]:
        return PENALTY_ALIASES.get(self.finding, frozenset({self.finding}))

    def stored(self) -> dict[str, Any]:
        return {
            "finding": self.finding,
            "amount": str(self.amount),
            "escalate_from": self.escalate_from,
            "factor": str(self.factor.normalize()) if self.factor % 1 else str(int(self.factor)),
            "label": self.label,
        }


def parse_penalties(value: Any) -> tuple[PenaltyRule, ...]:
    known = penalty_kind_names()
    rules: list[PenaltyRule] = []
    for n, raw in enumerate(_listing(value, "penalties"), start=1):
        where = _("第%(n)s条考核规则") % {"n": n}
        raw = _mapping(raw, "penalties", where)
        _known_keys(
            raw, {"finding", "amount", "escalate_from", "factor", "label"}, "penalties", where
        )
        name = str(raw.get("finding") or "")
        if name not in known:
            raise _fail("penalties", _("%(w)s的违规类别“%(k)s”未知") % {"w": where, "k": name})
        amount = _money(
            raw.get("amount"), "penalties", _("%(w)s的金额") % {"w": where}, positive=True
        )
        escalate = _whole(raw.get("escalate_from") or 0, "penalties", _("加倍起始次数"), 0, 100)
        factor = _money(
            _given(raw, "factor", 1), "penalties", _("%(w)s的倍数") % {"w": where}, positive=True
        )
        label = _text(raw.get("label"), "penalties", _("说明"), limit=300, required=False)
        rules.append(
            PenaltyRule(
                finding=name,
                amount=amount.quantize(Decimal("0.01")),
                escalate_from=escalate,
                factor=factor,
                label=label,
            )
        )
    return tuple(rules)
