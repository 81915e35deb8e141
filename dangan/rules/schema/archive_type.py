"""A whole archive type: disposal, sign-offs, the type's own settings, and
`archive_type_rules`, which parses every section and gathers the first problem of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives.cover import clean_cover
from dangan.archives.models import ArchiveType, Dossier
from dangan.core.errors import ValidationFailed
from dangan.rules.schema.checklist import (
    FieldSpec,
    ItemSpec,
    field_dicts,
    parse_checklist,
    parse_fields,
    parse_numbering,
    parse_retention,
)
from dangan.rules.schema.checks import (
    ConsistencyRule,
    PenaltyRule,
    parse_consistency,
    parse_penalties,
)
from dangan.rules.schema.common import (
    _fail,
    _given,
    _known_keys,
    _listing,
    _mapping,
    _section,
    _text,
    _whole,
)
from dangan.rules.schema.deadlines import (
    DeadlineRule,
    DeadlineVariant,
    parse_deadline,
    parse_variants,
)

DISPOSAL_TRIGGERS = ("closed", "filed")
CUSTOMER_KINDS = ("individual", "organization")


# --- disposal ---------------------------------------------------------------------


@dataclass(frozen=True)
class DisposalSpec:
    trigger: str = "closed"
    hold_months: int = 6

    def stored(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "hold_months": self.hold_months}


def parse_disposal(value: Any) -> DisposalSpec:
    raw = _mapping(value, "disposal", _("销毁规则"))
    _known_keys(raw, {"trigger", "hold_months"}, "disposal", _("销毁规则"))
    trigger = str(raw.get("trigger") or "closed")
    if trigger not in DISPOSAL_TRIGGERS:
        raise _fail("disposal", _("保管期限起算须为终止或迁出之日、建档之日"))
    months = _whole(_given(raw, "hold_months", 6), "disposal", _("待销毁保留期(月)"), 1, 120)
    return DisposalSpec(trigger=trigger, hold_months=months)


# --- sign-offs --------------------------------------------------------------------------

# A sign-off (a checklist item's `confirm` step) pending this long goes to the next level as
# well, as an approval step of the rules does (issue 27 §2): the shipped default.
CONFIRM_ESCALATE_HOURS = 48


@dataclass(frozen=True)
class ConfirmSpec:
    """How the sign-offs of a type's pieces run (dangan.confirmations): hours a sign-off
    may wait before it escalates (0: never)."""

    escalate_after_hours: int = CONFIRM_ESCALATE_HOURS

    def stored(self) -> dict[str, Any]:
        return {"escalate_after_hours": self.escalate_after_hours}


def parse_confirm(value: Any) -> ConfirmSpec:
    """The type's `confirm`: {escalate_after_hours: 0–720}; absent or empty: the default."""
    if value in (None, "", {}):
        return ConfirmSpec()
    what = _("文件确认设置")
    raw = _mapping(value, "confirm", what)
    _known_keys(raw, {"escalate_after_hours"}, "confirm", what)
    hours = _whole(
        _given(raw, "escalate_after_hours", CONFIRM_ESCALATE_HOURS),
        "confirm",
        _("文件确认超时升级小时数"),
        0,
        24 * 30,
    )
    return ConfirmSpec(escalate_after_hours=hours)


# --- the whole archive type ---------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveTypeRules:
    """Everything of an archive type that the company edits, typed and checked."""

    name: str
    numbering: str
    retention: str
    checklist: tuple[ItemSpec, ...]
    description: str = ""
    source: str = ""
    customer_kinds: tuple[str, ...] = CUSTOMER_KINDS
    document_order: str = ArchiveType.DocumentOrder.CHECKLIST
    placement: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    deadline: DeadlineRule | None = None
    deadline_variants: tuple[DeadlineVariant, ...] = ()
    deadline_variant: str = ""
    consistency: tuple[ConsistencyRule, ...] = ()
    penalties: tuple[PenaltyRule, ...] = ()
    status_labels: Mapping[str, str] = dc_field(default_factory=dict)
    cover: tuple[Mapping[str, str], ...] = ()
    is_active: bool = True
    disposal: DisposalSpec | None = None
    # The 密级 of a new dossier, and whether originals may be copied and issued (#27 §4).
    default_confidentiality: str = "normal"
    originals_copyable: bool = True
    # 一车一档 (issue 23 §5): the business keys of which one dossier exists per value.
    unique_keys: tuple[tuple[str, ...], ...] = ()
    # Files of no customer (issue 23 §8): kept by a department, numbered per department.
    customer_less: bool = False
    # Change control (issue 23 §3): per field free / reason / approval (dangan.changes.control).
    change_control: Mapping[str, Any] = dc_field(default_factory=dict)
    # Sign-offs (issue 27 §6): how long one may wait before it escalates.
    confirm: ConfirmSpec = ConfirmSpec()
    # 年度立卷 (issue 23 §6): the year a dossier is bound in (ArchiveType.CrossYear).
    cross_year: str = ArchiveType.CrossYear.OPENING

    def in_force_deadline(self) -> DeadlineRule | None:
        for variant in self.deadline_variants:
            if variant.key == self.deadline_variant:
                return variant.in_force()
        return self.deadline

    def columns(self) -> dict[str, Any]:
        """The ArchiveType's columns as stored (checklist and disposal apart)."""
        deadline = self.in_force_deadline()
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "customer_kinds": list(self.customer_kinds),
            "numbering": self.numbering,
            "retention": self.retention,
            "document_order": self.document_order,
            "placement": list(self.placement),
            "deadline": deadline.stored() if deadline else {},
            "deadline_variants": [v.stored() for v in self.deadline_variants],
            "deadline_variant": self.deadline_variant,
            "fields": field_dicts(self.fields),
            "consistency": [rule.stored() for rule in self.consistency],
            "penalties": [rule.stored() for rule in self.penalties],
            "status_labels": dict(self.status_labels),
            "cover": [dict(entry) for entry in self.cover],
            "is_active": self.is_active,
            "default_confidentiality": self.default_confidentiality,
            "originals_copyable": self.originals_copyable,
            "unique_keys": [list(key) for key in self.unique_keys],
            "customer_less": self.customer_less,
            "change_control": dict(self.change_control),
            "confirm": self.confirm.stored(),
            "cross_year": self.cross_year,
        }


# The ArchiveType columns the company edits (ArchiveTypeRules.columns()'s keys): what the
# rules' snapshot and the API carry besides the code, the checklist and disposal. A new
# rule of the type is added here once.
TYPE_COLUMNS = (
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
    "consistency",
    "penalties",
    "status_labels",
    "cover",
    "is_active",
    "default_confidentiality",
    "originals_copyable",
    "unique_keys",
    "customer_less",
    "change_control",
    "confirm",
    "cross_year",
)
# Keys a template or a PUT may carry; GET's read-only ones are dropped by the API.
TYPE_KEYS = {"code", "checklist", "disposal", *TYPE_COLUMNS}


def archive_type_rules(data: Any) -> ArchiveTypeRules:
    """Parse a whole archive type (a template, or the body of PUT /archive-types/{id}/);
    raise ValidationFailed naming each bad section."""
    if not isinstance(data, dict):
        raise ValidationFailed({"non_field_errors": _("档案类型应为映射")})
    errors: dict[str, Any] = {}
    unknown = set(data) - TYPE_KEYS
    if unknown:
        errors["non_field_errors"] = _("未知的项:%(k)s") % {"k": ", ".join(sorted(unknown))}
    name = _section(errors, "name", lambda: _text(data.get("name"), "name", _("名称"), limit=64))
    fields = _section(errors, "fields", lambda: parse_fields(data.get("fields")), ())
    checklist = _section(
        errors, "checklist", lambda: parse_checklist(data.get("checklist"), fields), ()
    )
    codes = {item.code for item in checklist}
    variants = _section(
        errors,
        "deadline_variants",
        lambda: parse_variants(data.get("deadline_variants"), fields),
        (),
    )
    chosen = str(data.get("deadline_variant") or "")
    deadline = None
    if variants:
        if chosen not in {v.key for v in variants}:
            errors.setdefault("deadline_variant", _("请选择本模板提供的移交期限规则"))
    else:
        if chosen:
            errors.setdefault("deadline_variant", _("本类型没有可选的移交期限规则"))
        deadline = _section(
            errors, "deadline", lambda: parse_deadline(data.get("deadline"), fields)
        )
    labels = {spec.key: spec.label for spec in fields}
    rules = ArchiveTypeRules(
        name=name or "",
        numbering=_section(errors, "numbering", lambda: parse_numbering(data.get("numbering")), ""),
        retention=_section(errors, "retention", lambda: parse_retention(data.get("retention")), ""),
        checklist=checklist,
        description=_section(
            errors,
            "description",
            lambda: _text(
                data.get("description"), "description", _("说明"), limit=2000, required=False
            ),
            "",
        ),
        source=_section(
            errors,
            "source",
            lambda: _text(data.get("source"), "source", _("依据"), limit=200, required=False),
            "",
        ),
        customer_kinds=_section(
            errors, "customer_kinds", lambda: _customer_kinds(data.get("customer_kinds")), ()
        ),
        document_order=_section(
            errors, "document_order", lambda: _document_order(data.get("document_order")), ""
        ),
        placement=_section(
            errors, "placement", lambda: _placement(data.get("placement"), fields), ()
        ),
        fields=fields,
        deadline=deadline,
        deadline_variants=variants,
        deadline_variant=chosen if variants else "",
        # Checked against the checklist only when the checklist itself is sound (else
        # every rule would be reported as naming documents that are not there).
        consistency=(
            _section(
                errors,
                "consistency",
                lambda: parse_consistency(data.get("consistency"), fields, codes),
                (),
            )
            if "checklist" not in errors
            else ()
        ),
        penalties=_section(errors, "penalties", lambda: parse_penalties(data.get("penalties")), ()),
        status_labels=_section(
            errors, "status_labels", lambda: _status_labels(data.get("status_labels")), {}
        ),
        cover=tuple(_section(errors, "cover", lambda: clean_cover(data.get("cover"), labels), [])),
        is_active=bool(data.get("is_active", True)),
        default_confidentiality=_section(
            errors,
            "default_confidentiality",
            lambda: _level(data.get("default_confidentiality")),
            "normal",
        ),
        originals_copyable=_section(
            errors,
            "originals_copyable",
            lambda: _yes_no(data.get("originals_copyable", True), "originals_copyable"),
            True,
        ),
        customer_less=_section(
            errors,
            "customer_less",
            lambda: _yes_no(data.get("customer_less", False), "customer_less"),
            False,
        ),
        unique_keys=_section(
            errors, "unique_keys", lambda: _unique_keys(data.get("unique_keys"), fields), ()
        ),
        change_control=_section(
            errors,
            "change_control",
            lambda: _change_control(data.get("change_control"), fields),
            {},
        ),
        confirm=_section(
            errors, "confirm", lambda: parse_confirm(data.get("confirm")), ConfirmSpec()
        ),
        cross_year=_section(
            errors,
            "cross_year",
            lambda: _cross_year(data.get("cross_year")),
            ArchiveType.CrossYear.OPENING,
        ),
        disposal=(
            _section(errors, "disposal", lambda: parse_disposal(data.get("disposal")))
            if data.get("disposal") is not None
            else None
        ),
    )
    if errors:
        raise ValidationFailed(errors)
    return rules


def _unique_keys(value: Any, fields: tuple[FieldSpec, ...]) -> tuple[tuple[str, ...], ...]:
    from dangan.archives import keys

    try:
        specs = keys.validate_specs(value or [], [spec.key for spec in fields])
    except ValueError as exc:
        raise _fail("unique_keys", str(exc)) from None
    return tuple(tuple(spec) for spec in specs)


def _change_control(value: Any, fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    from dangan.changes import control
    from dangan.customers.services import CHANGE_KEYS as CUSTOMER_FIELDS

    try:
        return control.validate(
            value, field_keys=[spec.key for spec in fields], customer_fields=CUSTOMER_FIELDS
        )
    except ValueError as exc:
        raise _fail("change_control", str(exc)) from None


def _cross_year(value: Any) -> str:
    rule = str(value or ArchiveType.CrossYear.OPENING)
    if rule not in ArchiveType.CrossYear.values:
        raise _fail(
            "cross_year",
            _("跨年度立卷规则应为 %(r)s 之一") % {"r": "、".join(ArchiveType.CrossYear.values)},
        )
    return rule


def _level(value: Any) -> str:
    level = str(value or "normal")
    if level not in Dossier.Confidentiality.values:
        raise _fail("default_confidentiality", _("密级无效"))
    return level


def _yes_no(value: Any, section: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(section, _("应为是或否"))
    return value


def _customer_kinds(value: Any) -> tuple[str, ...]:
    kinds = tuple(str(k) for k in _listing(value, "customer_kinds")) or CUSTOMER_KINDS
    if not set(kinds) <= set(CUSTOMER_KINDS):
        raise _fail("customer_kinds", _("适用客户类型须为个人或单位"))
    return kinds


def _document_order(value: Any) -> str:
    order = str(value or ArchiveType.DocumentOrder.CHECKLIST)
    if order not in ArchiveType.DocumentOrder.values:
        raise _fail("document_order", _("文件排列方式无效"))
    return order


def _placement(value: Any, fields: tuple[FieldSpec, ...]) -> tuple[str, ...]:
    keys = {spec.key for spec in fields}
    placement = tuple(str(k) for k in _listing(value, "placement"))
    unknown = [k for k in placement if k not in keys]
    if unknown:
        raise _fail("placement", _("排列依据“%(k)s”不是本类型的字段") % {"k": unknown[0]})
    return placement


def _status_labels(value: Any) -> dict[str, str]:
    labels = value or {}
    if not isinstance(labels, dict) or not all(
        key in Dossier.Status.values and isinstance(text, str) and 0 < len(text) <= 20
        for key, text in labels.items()
    ):
        raise _fail("status_labels", _("状态名称须对应档案状态,每个不超过20字"))
    return dict(labels)
