"""The one typed schema of the rules the company keeps as data (SPEC C14, issue 27 §5).

An archive type's fields, checklist, deadline, consistency and penalty rules, numbering,
retention and disposal, and the approval rules of borrowing, are each parsed here from
their stored (JSON/YAML) shape into frozen dataclasses. The template loader, the services
that edit them (UI and API) and the evaluators (deadlines, checks, penalties, approval
chains) all go through these parsers, so a rule the editor accepts is a rule the
evaluator understands, and a kind nobody knows is refused (fail closed), never read as
"no rule".

A problem raises ApplicationError naming the section at fault (`deadline`, `penalties`…)
with a Chinese message that says where in it; `archive_type_rules` gathers the first
problem of every section into one ValidationFailed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives import numbering
from dangan.archives.checklist import condition_errors
from dangan.archives.cover import clean_cover
from dangan.archives.fields import FIELD_TYPES, REMIND_KINDS
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.core.errors import ApplicationError, ValidationFailed
from dangan.intake.models import Finding

RETENTION_CODES = ("Y", "D30", "D10")
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
# The seeds' names for groups of finding kinds, as the templates spell them.
PENALTY_ALIASES: dict[str, frozenset[str]] = {
    "missing_signature": frozenset({Finding.Kind.NO_SIGNATURE}),
    "incomplete": frozenset(
        {Finding.Kind.MISSING, Finding.Kind.WRONG, Finding.Kind.INCONSISTENT, Finding.Kind.NO_STAMP}
    ),
}
CUSTOMER_NAME = "customer_name"  # what a consistency rule may compare besides custom fields
STEP_DEPARTMENTS = ("requester", "customer", "any")
REQUEST_KINDS = ("view", "borrow", "copy")
# The approval engine's other subjects (issue 27 §8): destruction lists and intake
# exception statements, change requests of filed records (issue 23 §3); a rule of such a
# kind sets their chain and nothing else.
SUBJECT_KINDS = ("disposal", "statement", "change")
RULE_KINDS = REQUEST_KINDS + SUBJECT_KINDS
RELATIONS = ("own", "department", "other")
DISPOSAL_TRIGGERS = ("closed", "filed")
CUSTOMER_KINDS = ("individual", "organization")


def _fail(section: str, message: Any) -> ApplicationError:
    return ApplicationError(message, field=section)


def _text(value: Any, section: str, what: Any, *, limit: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise _fail(section, _("%(w)s包含不允许的控制字符") % {"w": what})
    if required and not text:
        raise _fail(section, _("请填写%(w)s") % {"w": what})
    if len(text) > limit:
        raise _fail(section, _("%(w)s过长(最多%(n)s字)") % {"w": what, "n": limit})
    return text


def _whole(value: Any, section: str, what: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise _fail(section, _("%(w)s应为整数") % {"w": what})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _fail(section, _("%(w)s应为整数") % {"w": what}) from None
    if not low <= number <= high:
        raise _fail(section, _("%(w)s应在%(lo)s到%(hi)s之间") % {"w": what, "lo": low, "hi": high})
    return number


def _given(raw: dict[str, Any], key: str, default: Any) -> Any:
    """The value, or the default where the key is absent or empty (0 is a value)."""
    value = raw.get(key)
    return default if value in (None, "") else value


def _mapping(value: Any, section: str, what: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(section, _("%(w)s格式不正确") % {"w": what})
    return value


def _listing(value: Any, section: str) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise _fail(section, _("应为列表"))
    return value


def _known_keys(data: dict[str, Any], allowed: set[str], section: str, what: Any) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise _fail(
            section, _("%(w)s含有未知的项:%(k)s") % {"w": what, "k": ", ".join(sorted(unknown))}
        )


# --- numbering and retention -------------------------------------------------------


def parse_numbering(value: Any) -> str:
    return numbering.validate_rule(_text(value, "numbering", _("档号规则"), limit=64))


def parse_retention(value: Any) -> str:
    text = "" if value is None else str(value).strip().upper()
    years = text.removeprefix("D")
    if text in RETENTION_CODES or (years.isdigit() and 1 <= int(years) <= 100):
        return text
    raise _fail("retention", _("保管期限应为 Y(永久)、D30、D10、D3 或 1–100 之间的年数"))


def _item_retention(value: Any, name: str) -> str:
    """A checklist item's own retention; blank: the dossier's."""
    if value in (None, ""):
        return ""
    try:
        return parse_retention(value)
    except ApplicationError:
        raise _fail(
            "checklist",
            _("“%(w)s”的单独保管期限应为 Y(永久)、D30、D10、D3 或 1–100 之间的年数") % {"w": name},
        ) from None


# --- custom fields ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    # The reminder a date field feeds (dangan.home.reminders): anniversary, move_in, …
    remind: str = ""

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "choices": list(self.choices),
            "help": self.help,
        }
        if self.remind:
            out["remind"] = self.remind
        return out


def parse_fields(value: Any) -> tuple[FieldSpec, ...]:
    specs: list[FieldSpec] = []
    for n, raw in enumerate(_listing(value, "fields"), start=1):
        where = _("第%(n)s个字段") % {"n": n}
        raw = _mapping(raw, "fields", where)
        _known_keys(
            raw, {"key", "label", "type", "required", "choices", "help", "remind"}, "fields", where
        )
        key = _text(raw.get("key"), "fields", _("%(w)s的代码") % {"w": where}, limit=40)
        if not key.replace("_", "").isalnum() or not key.isascii() or key[0].isdigit():
            raise _fail("fields", _("字段代码“%(k)s”只能用英文字母、数字和下划线") % {"k": key})
        if any(spec.key == key for spec in specs):
            raise _fail("fields", _("字段代码“%(k)s”重复") % {"k": key})
        kind = str(raw.get("type") or "text")
        if kind not in FIELD_TYPES:
            raise _fail("fields", _("字段“%(k)s”的类型“%(t)s”未知") % {"k": key, "t": kind})
        choices = tuple(str(c).strip() for c in _listing(raw.get("choices"), "fields"))
        if kind == "choice" and not all(choices):
            raise _fail("fields", _("选择字段“%(k)s”须列出选项") % {"k": key})
        if kind == "choice" and len(set(choices)) != len(choices):
            raise _fail("fields", _("选择字段“%(k)s”的选项重复") % {"k": key})
        remind = str(raw.get("remind") or "")
        if remind and (kind != "date" or remind not in REMIND_KINDS):
            raise _fail(
                "fields",
                _("字段“%(k)s”的提醒须为 %(r)s 之一,且只用于日期字段")
                % {"k": key, "r": "、".join(REMIND_KINDS)},
            )
        specs.append(
            FieldSpec(
                key=key,
                remind=remind,
                label=_text(
                    raw.get("label"), "fields", _("字段“%(k)s”的名称") % {"k": key}, limit=40
                ),
                type=kind,
                required=bool(raw.get("required")),
                choices=choices if kind == "choice" else (),
                help=_text(raw.get("help"), "fields", _("说明"), limit=300, required=False),
            )
        )
    return tuple(specs)


def field_dicts(specs: tuple[FieldSpec, ...]) -> list[dict[str, Any]]:
    return [spec.stored() for spec in specs]


# --- checklist ----------------------------------------------------------------------

_ITEM_KEYS = {
    "id",
    "position",
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
    "retention",
}


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    group: str = ""
    requirement: str = ChecklistItem.Requirement.REQUIRED
    when: Mapping[str, Any] = dc_field(default_factory=dict)
    copies: int = 1
    needs_stamp: bool = False
    needs_signature: bool = False
    original: bool = False
    note: str = ""
    # Who signs the piece off before it counts, in order (dangan.confirmations, #27 §6).
    confirm: tuple[ApprovalStep, ...] = ()
    # Its own retention where the document ends before its dossier; "": the dossier's.
    retention: str = ""

    def stored(self) -> dict[str, Any]:
        """The ChecklistItem's columns but its position."""
        return {
            "name": self.name,
            "group": self.group,
            "requirement": self.requirement,
            "when": dict(self.when),
            "copies": self.copies,
            "needs_stamp": self.needs_stamp,
            "needs_signature": self.needs_signature,
            "original": self.original,
            "note": self.note,
            "confirm": [step.stored() for step in self.confirm],
            "retention": self.retention,
        }


def parse_checklist(value: Any, fields: tuple[FieldSpec, ...]) -> tuple[ItemSpec, ...]:
    """The ordered checklist; `id` and `position` (what GET answers) are read-only."""
    items: list[ItemSpec] = []
    specs = field_dicts(fields)
    for n, raw in enumerate(_listing(value, "checklist"), start=1):
        where = _("第%(n)s项") % {"n": n}
        raw = _mapping(raw, "checklist", where)
        _known_keys(raw, _ITEM_KEYS, "checklist", where)
        name = _text(raw.get("name"), "checklist", _("%(w)s的文件名称") % {"w": where}, limit=100)
        code = _text(raw.get("code"), "checklist", _("“%(w)s”的代码") % {"w": name}, limit=40)
        if any(item.code == code for item in items):
            raise _fail("checklist", _("清单代码“%(c)s”重复") % {"c": code})
        requirement = str(raw.get("requirement") or ChecklistItem.Requirement.REQUIRED)
        if requirement not in ChecklistItem.Requirement.values:
            raise _fail("checklist", _("“%(w)s”的要求须为必备、可选或条件必备") % {"w": name})
        when = raw.get("when") or {}
        problems = condition_errors(when, specs)
        if problems:
            raise _fail(
                "checklist",
                _("“%(w)s”的适用条件无效:%(p)s") % {"w": name, "p": ";".join(problems)},
            )
        if requirement == ChecklistItem.Requirement.CONDITIONAL and not when:
            raise _fail("checklist", _("条件必备项“%(w)s”须设置适用条件") % {"w": name})
        items.append(
            ItemSpec(
                code=code,
                name=name,
                group=_text(raw.get("group"), "checklist", _("分组"), limit=40, required=False),
                requirement=requirement,
                when=dict(when),
                copies=_whole(_given(raw, "copies", 1), "checklist", _("份数"), 1, 20),
                needs_stamp=bool(raw.get("needs_stamp")),
                needs_signature=bool(raw.get("needs_signature")),
                original=bool(raw.get("original")),
                note=_text(raw.get("note"), "checklist", _("备注"), limit=200, required=False),
                confirm=_confirm_steps(raw.get("confirm"), name),
                retention=_item_retention(raw.get("retention"), name),
            )
        )
    return tuple(items)


def _confirm_steps(value: Any, name: str) -> tuple[ApprovalStep, ...]:
    try:
        return parse_steps(value)
    except ApplicationError as exc:
        raise _fail(
            "checklist", _("“%(w)s”的确认步骤无效:%(e)s") % {"w": name, "e": exc.message}
        ) from None


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


def _money(value: Any, section: str, what: Any, *, positive: bool) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        raise _fail(section, _("%(w)s不是有效的数字") % {"w": what}) from None
    if not amount.is_finite() or amount > Decimal("1000000"):
        raise _fail(section, _("%(w)s不是有效的数字") % {"w": what})
    if amount < 0:
        raise _fail(section, _("%(w)s不能为负数") % {"w": what})
    if positive and amount == 0:
        raise _fail(section, _("%(w)s须大于零") % {"w": what})
    return amount


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
        }


# Keys a template or a PUT may carry; GET's read-only ones are dropped by the API.
TYPE_KEYS = {
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
    "is_active",
    "disposal",
    "default_confidentiality",
    "originals_copyable",
    "unique_keys",
    "customer_less",
    "change_control",
}


def _section(
    errors: dict[str, Any], section: str, parse: Callable[[], Any], default: Any = None
) -> Any:
    try:
        return parse()
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            errors.setdefault(section if not key.startswith(section) else key, message)
    except ApplicationError as exc:
        errors.setdefault(exc.field or section, exc.message)
    return default


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


# --- approval rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalStep:
    role: str
    department: str = "any"
    # Where the step goes when nobody holds it (empty: the archive room), #27 §2.
    escalate_to: str = ""

    def stored(self) -> dict[str, str]:
        out = {"role": self.role, "department": self.department}
        if self.escalate_to:
            out["escalate_to"] = self.escalate_to
        return out


@dataclass(frozen=True)
class ApprovalRuleSpec:
    """Which approval chain a request needs (circulation.ApprovalRule): the first active
    rule by priority whose non-empty criteria all match. Empty steps: approved at once."""

    name: str
    priority: int = 100
    is_active: bool = True
    kind: str = ""
    confidentiality: str = ""
    relation: str = ""
    requester_role: str = ""
    steps: tuple[ApprovalStep, ...] = ()
    # The archive room may approve a walk-in lend on the spot (#27 §3); a request waiting
    # longer than this many hours escalates (0: never), #27 §2.
    desk_approval: bool = False
    escalate_after_hours: int = 48

    def columns(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "priority": self.priority,
            "is_active": self.is_active,
            "kind": self.kind,
            "confidentiality": self.confidentiality,
            "relation": self.relation,
            "requester_role": self.requester_role,
            "steps": [step.stored() for step in self.steps],
            "desk_approval": self.desk_approval,
            "escalate_after_hours": self.escalate_after_hours,
        }

    def matches(self, *, kind: str, confidentiality: str, relation: str, roles: set[str]) -> bool:
        # A rule without a kind is any access request's; the engine's other subjects
        # (destruction lists, statements) match only rules of their own kind.
        return (
            self.is_active
            and (self.kind == kind or (not self.kind and kind in REQUEST_KINDS))
            and (not self.confidentiality or self.confidentiality == confidentiality)
            and (not self.relation or self.relation == relation)
            and (not self.requester_role or self.requester_role in roles)
        )


def parse_steps(value: Any, roles: set[str] | None = None) -> tuple[ApprovalStep, ...]:
    """A chain's steps; with `roles`, each step's role must be one of them."""
    steps: list[ApprovalStep] = []
    for n, raw in enumerate(_listing(value, "steps"), start=1):
        where = _("第%(n)s步") % {"n": n}
        raw = _mapping(raw, "steps", where)
        _known_keys(raw, {"role", "department", "escalate_to"}, "steps", where)
        role = str(raw.get("role") or "").strip()
        if not role:
            raise _fail("steps", _("%(w)s须指定审批角色") % {"w": where})
        if roles is not None and role not in roles:
            raise _fail("steps", _("%(w)s的审批角色“%(r)s”不存在") % {"w": where, "r": role})
        department = str(raw.get("department") or "any")
        if department not in STEP_DEPARTMENTS:
            raise _fail(
                "steps", _("%(w)s的审批部门应为申请人部门、客户所属部门或不限") % {"w": where}
            )
        escalate_to = str(raw.get("escalate_to") or "").strip()
        if escalate_to and roles is not None and escalate_to not in roles:
            raise _fail(
                "steps", _("%(w)s的上一级审批角色“%(r)s”不存在") % {"w": where, "r": escalate_to}
            )
        steps.append(ApprovalStep(role=role, department=department, escalate_to=escalate_to))
    return tuple(steps)


def approval_rule(data: Any, *, roles: set[str] | None = None) -> ApprovalRuleSpec:
    """Parse one approval rule (the body of POST/PUT /approval-rules/); raise
    ValidationFailed naming each bad field. `id` is read-only and ignored."""
    if not isinstance(data, dict):
        raise ValidationFailed({"non_field_errors": _("审批规则应为映射")})
    errors: dict[str, Any] = {}
    allowed = {"id", "version", "name", "priority", "is_active", "kind", "confidentiality",
               "relation", "requester_role", "steps", "desk_approval",
               "escalate_after_hours"}  # fmt: skip
    unknown = set(data) - allowed
    if unknown:
        errors["non_field_errors"] = _("未知的项:%(k)s") % {"k": ", ".join(sorted(unknown))}

    def choice(key: str, options: tuple[str, ...] | list[str], message: Any) -> str:
        value = str(data.get(key) or "")
        if value and value not in options:
            raise _fail(key, message)
        return value

    spec = ApprovalRuleSpec(
        name=_section(
            errors, "name", lambda: _text(data.get("name"), "name", _("规则名称"), limit=100), ""
        ),
        priority=_section(
            errors,
            "priority",
            lambda: _whole(data.get("priority", 100), "priority", _("优先级"), -1000, 10000),
            0,
        ),
        is_active=bool(data.get("is_active", True)),
        kind=_section(errors, "kind", lambda: choice("kind", RULE_KINDS, _("申请类型无效")), ""),
        confidentiality=_section(
            errors,
            "confidentiality",
            lambda: choice("confidentiality", Dossier.Confidentiality.values, _("密级无效")),
            "",
        ),
        relation=_section(
            errors, "relation", lambda: choice("relation", RELATIONS, _("与客户关系无效")), ""
        ),
        requester_role=_section(
            errors,
            "requester_role",
            lambda: choice(
                "requester_role",
                sorted(roles) if roles is not None else [str(data.get("requester_role") or "")],
                _("申请人角色不存在"),
            ),
            "",
        ),
        steps=_section(errors, "steps", lambda: parse_steps(data.get("steps"), roles), ()),
        desk_approval=bool(data.get("desk_approval", False)),
        escalate_after_hours=_section(
            errors,
            "escalate_after_hours",
            lambda: _whole(
                _given(data, "escalate_after_hours", 48),
                "escalate_after_hours",
                _("超时升级小时数"),
                0,
                24 * 30,
            ),
            48,
        ),
    )
    if spec.kind in SUBJECT_KINDS:
        _subject_rule(spec, data, errors)
    if errors:
        raise ValidationFailed(errors)
    return spec


def _subject_rule(spec: ApprovalRuleSpec, data: dict[str, Any], errors: dict[str, Any]) -> None:
    """A rule of a destruction list or a statement: the request's criteria mean nothing
    there (refused, not ignored), and its chain needs someone to approve."""
    for key in ("confidentiality", "relation"):
        if data.get(key):
            errors.setdefault(key, _("该类型的审批规则不按此项区分,请留空"))
    if data.get("desk_approval"):
        errors.setdefault("desk_approval", _("当场审批只适用于借阅"))
    if "steps" not in errors and not spec.steps:
        errors["steps"] = _("销毁清单和情况说明的审批规则至少须有一个审批步骤")
