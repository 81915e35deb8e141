"""Approval rules: which chain a request, a destruction list, a statement or a change
request needs (circulation.ApprovalRule), and the steps of a chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.archives.models import Dossier
from dangan.core.errors import ValidationFailed
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

STEP_DEPARTMENTS = ("requester", "customer", "any")
REQUEST_KINDS = ("view", "borrow", "copy")
# The approval engine's other subjects (issue 27 §8): destruction lists and intake
# exception statements, change requests of filed records (issue 23 §3); a rule of such a
# kind sets their chain and nothing else.
SUBJECT_KINDS = ("disposal", "statement", "change")
RULE_KINDS = REQUEST_KINDS + SUBJECT_KINDS
RELATIONS = ("own", "department", "other")


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
