"""What a deadline rule (ArchiveType.deadline, see dangan.intake.deadlines) may say, checked
before it is stored: a kind the calculator knows, the business-date field it counts from
(a date field of the type), and positive numbers. A typo would otherwise give every
dossier of the type "no deadline" without a word."""

from __future__ import annotations

from typing import Any

KINDS = ("working_days_after", "days_after", "hours_after", "weekly", "monthly", "conditional")
_NUMBERS = {"working_days_after": "days", "days_after": "days", "hours_after": "hours"}


def rule_errors(rule: Any, field_specs: list[dict[str, Any]], where: str = "deadline") -> list[str]:
    if rule in ({}, None):
        return []
    if not isinstance(rule, dict):
        return [f"{where}: not a mapping"]
    kind = rule.get("kind")
    if kind not in KINDS:
        return [f"{where}: unknown kind {kind!r}"]
    dates = {str(s.get("key")) for s in field_specs if s.get("type") == "date"}
    keys = {str(s.get("key")) for s in field_specs}
    errors: list[str] = []
    if kind == "conditional":
        condition = rule.get("if")
        if not isinstance(condition, dict) or not condition:
            errors.append(f"{where}: conditional needs if")
        else:
            errors += [f"{where}: if on unknown field {k}" for k in condition if k not in keys]
        for branch in ("then", "else"):
            errors += rule_errors(rule.get(branch) or {}, field_specs, f"{where}.{branch}")
        return errors
    field = rule.get("field")
    if (kind in _NUMBERS or field is not None) and field not in dates:
        errors.append(f"{where}: {kind} counts from {field!r}, which is no date field")
    if kind in _NUMBERS:
        value = rule.get(_NUMBERS[kind])
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(f"{where}: {_NUMBERS[kind]} must be a positive whole number")
    if kind == "weekly" and rule.get("weekday", 5) not in range(1, 8):
        errors.append(f"{where}: weekday must be 1–7")
    if kind == "monthly" and rule.get("day", 1) not in range(1, 32):
        errors.append(f"{where}: day must be 1–31")
    return errors


def variant_errors(variants: Any, chosen: Any, field_specs: list[dict[str, Any]]) -> list[str]:
    if not variants:
        return [] if not chosen else ["deadline_variant without deadline_variants"]
    if not isinstance(variants, list):
        return ["deadline_variants must be a list"]
    errors: list[str] = []
    seen: set[str] = set()
    for n, variant in enumerate(variants):
        if not isinstance(variant, dict) or not variant.get("key") or not variant.get("label"):
            errors.append(f"deadline_variants[{n}]: needs key, label and rule")
            continue
        key = str(variant["key"])
        if key in seen:
            errors.append(f"deadline_variants: duplicate key {key}")
        seen.add(key)
        if not variant.get("rule"):
            errors.append(f"deadline_variants[{key}]: needs a rule")
        errors += rule_errors(variant.get("rule"), field_specs, f"deadline_variants[{key}]")
    if chosen not in seen:
        errors.append(f"deadline_variant {chosen!r} is not one of {sorted(seen)}")
    return errors


def variant_rule(variants: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for variant in variants:
        if variant.get("key") == key:
            rule = dict(variant.get("rule") or {})
            if variant.get("note") and "note" not in rule:
                rule["note"] = variant["note"]
            return rule
    return None
