"""Change control as data: for each field of a filed record, whether a change is free
(working notes), needs a reason, or needs approval (SPEC C5; seeds 003 修改须销售部经理
同意,留存修改记录和原因; 002 4.3.6 通讯方式、车辆牌号及车位号应及时修改).

An archive type's `change_control`:

    default: reason            # the dossier's fields not named below
    customer_default: reason   # the customer's fields, for customers with such a dossier
    fields:                    # by field: the dossier's own (title, confidentiality,
      location: free           # location), its business fields (fields.<key>) and the
      fields.vin: approval     # customer's (customer.<name>)
      customer.mobile: reason

One typed schema for the loader, the services and the pages; unknown levels or fields
are refused when the template is loaded, and a level read from the database that is not
known counts as approval (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

FREE = "free"
REASON = "reason"
APPROVAL = "approval"
LEVELS = (FREE, REASON, APPROVAL)
LEVEL_LABELS = {FREE: _("可直接修改"), REASON: _("须填写原因"), APPROVAL: _("须审批")}
_RANK = {FREE: 0, REASON: 1, APPROVAL: 2}

# What a type says when it says nothing: a change of a filed record is explained.
DEFAULT_LEVEL = REASON
# Seed 003 and the identity rules: who the customer is never changes without a reason.
IDENTITY_FIELDS = frozenset({"name", "id_type", "id_number", "uscc", "uscc_override_reason"})
DOSSIER_OWN_FIELDS = ("title", "confidentiality", "location")
_KEYS = {"default", "customer_default", "fields"}


def strictest(levels: Iterable[str]) -> str:
    """The strictest of `levels` (FREE for none); an unknown level counts as approval."""
    best = FREE
    for level in levels:
        rank = _RANK.get(level, _RANK[APPROVAL])
        if rank > _RANK[best]:
            best = level if level in _RANK else APPROVAL
    return best


def validate(
    data: Any, *, field_keys: Iterable[str], customer_fields: Iterable[str]
) -> dict[str, Any]:
    """`change_control` in its stored shape, or ValueError naming what is wrong."""
    if data in (None, {}):
        return {}
    if not isinstance(data, dict):
        raise ValueError("change_control must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"change_control: unknown keys {sorted(unknown)}")
    for key in ("default", "customer_default"):
        if key in data and data[key] not in LEVELS:
            raise ValueError(f"change_control.{key}: unknown level {data[key]!r}")
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError("change_control.fields must be a mapping")
    known = {
        *DOSSIER_OWN_FIELDS,
        *(f"fields.{key}" for key in field_keys),
        *(f"customer.{name}" for name in customer_fields),
    }
    for name, level in fields.items():
        if name not in known:
            raise ValueError(f"change_control.fields: unknown field {name!r}")
        if level not in LEVELS:
            raise ValueError(f"change_control.fields.{name}: unknown level {level!r}")
    return {key: data[key] for key in ("default", "customer_default") if key in data} | (
        {"fields": dict(fields)} if fields else {}
    )


def dossier_level(rules: dict[str, Any] | None, field: str) -> str:
    """The level of a change of the dossier's `field` ("title", "location", "fields.vin")."""
    rules = rules or {}
    named = (rules.get("fields") or {}).get(field)
    return str(named or rules.get("default") or DEFAULT_LEVEL)


def customer_level(all_rules: Iterable[dict[str, Any] | None], field: str) -> str:
    """The level of a change of a customer's `field`, under the rules of the types of the
    customer's dossiers (the strictest wins); free without any, but for identity fields."""
    levels = []
    for rules in all_rules:
        rules = rules or {}
        named = (rules.get("fields") or {}).get(f"customer.{field}")
        levels.append(str(named or rules.get("customer_default") or DEFAULT_LEVEL))
    if field in IDENTITY_FIELDS:
        levels.append(REASON)
    return strictest(levels)
