"""An archive type's numbering, retention, custom fields and checklist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives import numbering
from dangan.archives.checklist import condition_errors
from dangan.archives.fields import FIELD_TYPES, REMIND_KINDS
from dangan.archives.models import ChecklistItem
from dangan.core.errors import ApplicationError
from dangan.rules.schema.approval import ApprovalStep, parse_steps
from dangan.rules.schema.common import _fail, _given, _known_keys, _listing, _mapping, _text, _whole

RETENTION_CODES = ("Y", "D30", "D10")


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

# A ChecklistItem's columns but its code and position (ItemSpec.stored()'s keys): what the
# rules' snapshot, the API and a template carry of an item.
ITEM_COLUMNS = (
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
)
_ITEM_KEYS = {"id", "position", "code", *ITEM_COLUMNS}


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
