"""Loading industry archive types (SPEC §5) from the YAML files in seed_templates/."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from dangan.accounts.models import User
from dangan.archives import deadline_rules, numbering
from dangan.archives.checklist import condition_errors
from dangan.archives.cover import clean_cover
from dangan.archives.fields import FIELD_TYPES, REMIND_KINDS
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.archives.services import validate_retention
from dangan.audit.services import audit_record
from dangan.circulation.rules import validate_steps
from dangan.core.errors import ApplicationError
from dangan.locations.natural import placement_key

SEED_DIR = Path(__file__).resolve().parent / "seed_templates"

_TYPE_KEYS = {
    "code",
    "name",
    "description",
    "source",
    "customer_kinds",
    "numbering",
    "retention",
    "document_order",
    "placement",
    "deadline",
    "deadline_variants",
    "deadline_variant",
    "fields",
    "checklist",
    "consistency",
    "penalties",
    "status_labels",
    "cover",
    "default_confidentiality",
    "originals_copyable",
}
_ITEM_KEYS = {
    "code",
    "name",
    "group",
    "requirement",
    "when",
    "copies",
    "needs_stamp",
    "needs_signature",
    "original",
    "note",
    "confirm",
}


class TemplateError(ApplicationError):
    pass


def validate_template(data: Any, origin: str) -> dict[str, Any]:
    """Check a template's shape and references; raise TemplateError naming the problem."""

    def fail(message: str) -> TemplateError:
        return TemplateError(f"{origin}: {message}")

    if not isinstance(data, dict):
        raise fail("not a mapping")
    missing = {"code", "name", "numbering", "retention", "checklist"} - set(data)
    if missing:
        raise fail(f"missing keys {sorted(missing)}")
    unknown = set(data) - _TYPE_KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    if not isinstance(data.get("fields") or [], list) or not all(
        isinstance(spec, dict) for spec in data.get("fields") or []
    ):
        raise fail("fields must be a list of mappings")
    if not isinstance(data["checklist"], list) or not all(
        isinstance(item, dict) and item.get("code") and item.get("name")
        for item in data["checklist"]
    ):
        raise fail("checklist must be a list of mappings with code and name")
    try:
        numbering.validate_rule(str(data["numbering"]))
        validate_retention(str(data["retention"]))
    except ApplicationError as exc:
        raise fail(str(exc.message)) from None
    field_keys = set()
    for spec in data.get("fields") or []:
        if spec.get("type", "text") not in FIELD_TYPES:
            raise fail(f"field {spec.get('key')}: unknown type {spec.get('type')}")
        if not spec.get("key") or not spec.get("label"):
            raise fail("every field needs key and label")
        if spec.get("remind") is not None and (
            spec.get("type") != "date" or spec["remind"] not in REMIND_KINDS
        ):
            raise fail(
                f"field {spec['key']}: remind must be one of {list(REMIND_KINDS)}, on a date field"
            )
        field_keys.add(spec["key"])
    try:
        labels = {str(spec["key"]): str(spec["label"]) for spec in data.get("fields") or []}
        data["cover"] = clean_cover(data.get("cover"), labels)
    except ApplicationError as exc:
        raise fail(str(exc.message)) from None
    codes = set()
    for item in data["checklist"]:
        unknown = set(item) - _ITEM_KEYS
        if unknown:
            raise fail(f"item {item.get('code')}: unknown keys {sorted(unknown)}")
        if item.get("code") in codes:
            raise fail(f"duplicate item code {item.get('code')}")
        codes.add(item.get("code"))
        if item.get("requirement", "required") not in ChecklistItem.Requirement.values:
            raise fail(f"item {item['code']}: bad requirement")
        for problem in condition_errors(item.get("when") or {}, data.get("fields") or []):
            raise fail(f"item {item['code']}: {problem}")
        try:
            validate_steps(item.get("confirm") or [])
        except ApplicationError as exc:
            raise fail(f"item {item['code']}: confirm: {exc.message}") from None
    labels = data.get("status_labels") or {}
    if not isinstance(labels, dict) or not all(
        key in Dossier.Status.values and isinstance(value, str) and 0 < len(value) <= 20
        for key, value in labels.items()
    ):
        raise fail("status_labels must map dossier states to names of up to 20 characters")
    for rule in data.get("consistency") or []:
        for code in rule.get("documents") or []:
            if code not in codes:
                raise fail(f"consistency rule {rule.get('field')}: unknown document {code}")
    _validate_penalties(data.get("penalties") or [], fail)
    level = data.get("default_confidentiality", "normal")
    if level not in Dossier.Confidentiality.values:
        raise fail(f"default_confidentiality must be one of {Dossier.Confidentiality.values}")
    if not isinstance(data.get("originals_copyable", True), bool):
        raise fail("originals_copyable must be true or false")
    specs = data.get("fields") or []
    variants = data.get("deadline_variants") or []
    if variants and data.get("deadline"):
        raise fail("give either deadline or deadline_variants, not both")
    problems = deadline_rules.variant_errors(variants, data.get("deadline_variant"), specs)
    problems += deadline_rules.rule_errors(data.get("deadline") or {}, specs)
    if problems:
        raise fail("; ".join(problems))
    return data


def _validate_penalties(rules: Any, fail: Any) -> None:
    """Every rule must name a finding kind (or one of the seeds' groups of kinds): a fine
    naming nothing the checks or the clerk can record could never be charged."""
    from dangan.intake.penalties import penalty_kind_names

    known = penalty_kind_names()
    if not isinstance(rules, list):
        raise fail("penalties must be a list")
    for rule in rules:
        if not isinstance(rule, dict):
            raise fail("penalties must be a list of mappings")
        name = str(rule.get("finding") or "")
        if name not in known:
            raise fail(f"penalty {rule.get('label') or name!r}: unknown finding kind {name!r}")
        try:
            amount = Decimal(str(rule.get("amount")))
        except InvalidOperation:
            raise fail(f"penalty {name}: bad amount {rule.get('amount')!r}") from None
        if not amount.is_finite() or amount <= 0:
            raise fail(f"penalty {name}: bad amount {rule.get('amount')!r}")


@dataclass
class LoadResult:
    code: str
    name: str
    created: bool
    updated: bool
    items: int


def template_files(directory: Path = SEED_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


@transaction.atomic
def templates_load(
    *, actor: User | None, directory: Path = SEED_DIR, update: bool = False
) -> list[LoadResult]:
    """Create the archive types in `directory`. Existing ones are kept as edited in the UI
    unless `update` is set; then their settings are overwritten and items upserted by code
    (items added in the UI stay). All files are validated before anything is written."""
    templates = [
        validate_template(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        for path in template_files(directory)
    ]
    results = []
    for data in templates:  # all validated above: nothing is written for a bad set
        results.append(_load_one(actor, data, update))
    return results


def _load_one(actor: User | None, data: dict[str, Any], update: bool) -> LoadResult:
    values = {
        "name": data["name"],
        "description": data.get("description") or "",
        "source": data.get("source") or "",
        "customer_kinds": data.get("customer_kinds") or ["individual", "organization"],
        "numbering": data["numbering"],
        "retention": str(data["retention"]),
        "document_order": data.get("document_order") or "checklist",
        "placement": data.get("placement") or [],
        "deadline": _deadline(data),
        "deadline_variants": data.get("deadline_variants") or [],
        "deadline_variant": str(data.get("deadline_variant") or ""),
        "fields": data.get("fields") or [],
        "consistency": data.get("consistency") or [],
        "penalties": data.get("penalties") or [],
        "status_labels": data.get("status_labels") or {},
        "cover": data.get("cover") or [],
        "default_confidentiality": data.get("default_confidentiality") or "normal",
        "originals_copyable": data.get("originals_copyable", True),
    }
    archive_type = ArchiveType.objects.filter(code=data["code"]).first()
    created = archive_type is None
    if archive_type is not None and not update:
        return LoadResult(data["code"], data["name"], False, False, archive_type.items.count())
    kept = archive_type.deadline_variant if archive_type is not None else ""
    if kept and deadline_rules.variant_rule(values["deadline_variants"], kept) is not None:
        # An update keeps the variant the company chose.
        values["deadline_variant"] = kept
        values["deadline"] = deadline_rules.variant_rule(values["deadline_variants"], kept)
    if archive_type is None:
        archive_type = ArchiveType.objects.create(code=data["code"], **values)
    else:
        old_placement = list(archive_type.placement or [])
        for key, value in values.items():
            setattr(archive_type, key, value)
        archive_type.save()
        if old_placement != list(archive_type.placement or []):
            _resort(archive_type)
    existing = {item.code: item for item in archive_type.items.all()}
    fresh = []
    for position, entry in enumerate(data["checklist"], start=1):
        values = _item_values(entry, position)
        item = existing.get(entry["code"])
        if item is None:
            fresh.append(ChecklistItem(archive_type=archive_type, code=entry["code"], **values))
            continue
        for key, value in values.items():
            setattr(item, key, value)
        item.save()
    ChecklistItem.objects.bulk_create(fresh)
    audit_record(
        actor=actor,
        action="template_load",
        obj=archive_type,
        detail={"created": created, "items": len(data["checklist"])},
    )
    return LoadResult(data["code"], data["name"], created, not created, len(data["checklist"]))


def _resort(archive_type: ArchiveType) -> None:
    """New placement fields: the type's dossiers get their sort keys again."""
    dossiers = list(archive_type.dossiers.only("id", "fields"))
    for dossier in dossiers:
        dossier.placement_key = placement_key(archive_type.placement, dossier.fields or {})
    Dossier.objects.bulk_update(dossiers, ["placement_key"], batch_size=2000)


def _deadline(data: dict[str, Any]) -> dict[str, Any]:
    variants = data.get("deadline_variants") or []
    if variants:
        return deadline_rules.variant_rule(variants, str(data["deadline_variant"])) or {}
    return dict(data.get("deadline") or {})


def _item_values(item: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "name": item["name"],
        "group": item.get("group") or "",
        "position": position,
        "requirement": item.get("requirement") or "required",
        "when": item.get("when") or {},
        "copies": item.get("copies") or 1,
        "needs_stamp": bool(item.get("needs_stamp")),
        "needs_signature": bool(item.get("needs_signature")),
        "original": bool(item.get("original")),
        "note": item.get("note") or "",
        "confirm": item.get("confirm") or [],
    }
