"""Loading industry archive types (SPEC §5) from the YAML files in seed_templates/."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.audit.services import audit_record
from dangan.core.errors import ApplicationError, ValidationFailed
from dangan.rules import schema
from dangan.rules.models import RuleVersion
from dangan.rules.schema import ArchiveTypeRules, ItemSpec
from dangan.rules.services import (
    archive_type_apply,
    archive_type_snapshot,
    item_columns,
    version_record,
)

SEED_DIR = Path(__file__).resolve().parent / "seed_templates"


# A reference to the regulation a rule comes from, e.g. "(003 #5 一.1)" or "（001 五.3）":
# the seed documents are numbered 000–004. It stays in the YAML (where it says why a rule
# is there) and is dropped from what users read.
_SEED_REFERENCE = re.compile(r"\s*[(（]00\d\s(?:[^()（）]|[(（][^()（）]*[)）])*[)）]")
# Keys whose values are not read as prose (the provenance line keeps its references).
_KEEP_AS_IS = {"source", "code", "key", "numbering", "when", "type"}


def without_seed_references(value: Any, key: str = "") -> Any:
    """`value` (a template or any part of it) with the seed references taken out of its
    texts."""
    if key in _KEEP_AS_IS:
        return value
    if isinstance(value, str):
        return _SEED_REFERENCE.sub("", value)
    if isinstance(value, list):
        return [without_seed_references(v, key) for v in value]
    if isinstance(value, dict):
        return {k: without_seed_references(v, str(k)) for k, v in value.items()}
    return value


class TemplateError(ApplicationError):
    pass


def parse_template(data: Any, origin: str) -> tuple[str, ArchiveTypeRules]:
    """A template's code and its rules checked against the one schema
    (dangan.rules.schema); raise TemplateError naming the file, section and problem."""
    if not isinstance(data, dict):
        raise TemplateError(f"{origin}: not a mapping")
    code = str(data.get("code") or "").strip()
    if not code or len(code) > 16:
        raise TemplateError(f"{origin}: code: missing or longer than 16 characters")
    try:
        return code, schema.archive_type_rules(data)
    except ValidationFailed as exc:
        problems = "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
        raise TemplateError(f"{origin}: {problems}") from None


def validate_template(data: Any, origin: str) -> dict[str, Any]:
    """Check a template; raise TemplateError naming the problem."""
    parse_template(data, origin)
    return dict(data)


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
    (items added in the UI stay, the chosen deadline variant and 启用 too). All files are
    validated before anything is written; a type written is a new version of its rules."""
    templates = [
        parse_template(
            without_seed_references(yaml.safe_load(path.read_text(encoding="utf-8"))), path.name
        )
        for path in template_files(directory)
    ]
    results = []
    for code, rules in templates:  # all validated above: nothing is written for a bad set
        results.append(_load_one(actor, code, rules, update))
    return results


def _load_one(actor: User | None, code: str, rules: ArchiveTypeRules, update: bool) -> LoadResult:
    archive_type = ArchiveType.objects.select_for_update().filter(code=code).first()
    created = archive_type is None
    if archive_type is not None and not update:
        return LoadResult(code, rules.name, False, False, archive_type.items.count())
    if archive_type is not None:
        kept = archive_type.deadline_variant
        extra = [
            ItemSpec(code=item.code, **{k: v for k, v in item_columns(item).items()})
            for item in archive_type.items.order_by("position", "id")
            if item.code not in {spec.code for spec in rules.checklist}
        ]
        rules = replace(
            rules,
            checklist=rules.checklist + tuple(extra),
            is_active=archive_type.is_active,
            deadline_variant=(
                kept
                if kept and any(v.key == kept for v in rules.deadline_variants)
                else rules.deadline_variant
            ),
        )
    archive_type, changed = archive_type_apply(archive_type, code, rules)
    if changed or created:
        version = version_record(
            actor=actor,
            subject=RuleVersion.Subject.ARCHIVE_TYPE,
            object_id=archive_type.pk,
            snapshot=archive_type_snapshot(archive_type),
            sections=changed,
            note="templates load",
        )
        audit_record(
            actor=actor,
            action="template_load",
            obj=archive_type,
            detail={
                "created": created,
                "items": len(rules.checklist),
                "version": version.number,
                "sections": changed,
            },
        )
    return LoadResult(code, rules.name, created, not created, len(rules.checklist))
