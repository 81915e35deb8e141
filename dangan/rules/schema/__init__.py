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

The parts, by concern: `common` (the shared parsing helpers), `checklist` (numbering,
retention, custom fields, checklist), `deadlines`, `checks` (consistency and penalties),
`archive_type` (disposal, sign-offs and the whole type) and `approval` (approval
rules). Callers import from this package; every public name is re-exported here.
"""

from __future__ import annotations

from dangan.rules.schema.approval import (
    RELATIONS,
    REQUEST_KINDS,
    RULE_KINDS,
    STEP_DEPARTMENTS,
    SUBJECT_KINDS,
    ApprovalRuleSpec,
    ApprovalStep,
    approval_rule,
    parse_steps,
)
from dangan.rules.schema.archive_type import (
    CONFIRM_ESCALATE_HOURS,
    CUSTOMER_KINDS,
    DISPOSAL_TRIGGERS,
    TYPE_COLUMNS,
    TYPE_KEYS,
    ArchiveTypeRules,
    ConfirmSpec,
    DisposalSpec,
    archive_type_rules,
    parse_confirm,
    parse_disposal,
)
from dangan.rules.schema.checklist import (
    ITEM_COLUMNS,
    RETENTION_CODES,
    FieldSpec,
    ItemSpec,
    field_dicts,
    parse_checklist,
    parse_fields,
    parse_numbering,
    parse_retention,
)
from dangan.rules.schema.checks import (
    CUSTOMER_NAME,
    PENALTY_ALIASES,
    ConsistencyRule,
    PenaltyRule,
    parse_consistency,
    parse_penalties,
    penalty_kind_names,
)
from dangan.rules.schema.deadlines import (
    DEADLINE_KINDS,
    DeadlineRule,
    DeadlineVariant,
    parse_deadline,
    parse_variants,
)

__all__ = [
    "CONFIRM_ESCALATE_HOURS",
    "CUSTOMER_KINDS",
    "CUSTOMER_NAME",
    "DEADLINE_KINDS",
    "DISPOSAL_TRIGGERS",
    "ITEM_COLUMNS",
    "PENALTY_ALIASES",
    "RELATIONS",
    "REQUEST_KINDS",
    "RETENTION_CODES",
    "RULE_KINDS",
    "STEP_DEPARTMENTS",
    "SUBJECT_KINDS",
    "TYPE_COLUMNS",
    "TYPE_KEYS",
    "ApprovalRuleSpec",
    "ApprovalStep",
    "ArchiveTypeRules",
    "ConfirmSpec",
    "ConsistencyRule",
    "DeadlineRule",
    "DeadlineVariant",
    "DisposalSpec",
    "FieldSpec",
    "ItemSpec",
    "PenaltyRule",
    "approval_rule",
    "archive_type_rules",
    "field_dicts",
    "parse_checklist",
    "parse_confirm",
    "parse_consistency",
    "parse_deadline",
    "parse_disposal",
    "parse_fields",
    "parse_numbering",
    "parse_penalties",
    "parse_retention",
    "parse_steps",
    "parse_variants",
    "penalty_kind_names",
]
