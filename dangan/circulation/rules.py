"""Choosing an approval chain: rules are data (ApprovalRule rows), matched here.

A rule matches when each of its non-empty criteria equals the request's: kind,
dossier confidentiality, the requester's relation to the customer, and a role the
requester holds. The first active match by priority wins; no match refuses the request
(fail closed) rather than approving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives.models import Dossier
from dangan.circulation.models import ApprovalRule, Relation
from dangan.core.errors import ApplicationError
from dangan.rules.schema import ApprovalRuleSpec, approval_rule, parse_steps


def relation_of(actor: User, dossier: Dossier) -> str:
    """own: the actor is the customer's account manager; department: the customer belongs
    to the actor's department; otherwise other."""
    customer = dossier.customer
    if customer is None:  # a company file: its filer, and its department
        if dossier.created_by_id == actor.pk:
            return Relation.OWN
        same = actor.department_id is not None and dossier.department_id == actor.department_id
        return Relation.DEPARTMENT if same else Relation.OTHER
    if customer.owner_id == actor.pk:
        return Relation.OWN
    if actor.department_id is not None and customer.department_id == actor.department_id:
        return Relation.DEPARTMENT
    return Relation.OTHER


def spec_of(rule: ApprovalRule) -> ApprovalRuleSpec:
    """The stored rule read through the one schema (dangan.rules.schema): a stored rule
    the schema refuses (edited around the services) refuses the request, never approves it."""
    return approval_rule(
        {
            "name": rule.name,
            "priority": rule.priority,
            "is_active": rule.is_active,
            "kind": rule.kind,
            "confidentiality": rule.confidentiality,
            "relation": rule.relation,
            "requester_role": rule.requester_role,
            "steps": rule.steps,
            "desk_approval": rule.desk_approval,
            "escalate_after_hours": rule.escalate_after_hours,
        }
    )


def match_rule(
    *, kind: str, confidentiality: str, relation: str, roles: set[str]
) -> ApprovalRule | None:
    """The first active rule by priority whose non-empty criteria all match."""
    for rule in ApprovalRule.objects.filter(is_active=True).order_by("priority", "id"):
        if spec_of(rule).matches(
            kind=kind, confidentiality=confidentiality, relation=relation, roles=roles
        ):
            return rule
    return None


def choose_rule(
    *,
    actor: User,
    kind: str,
    confidentiality: str = "",
    relation: str = "",
    field: str = "kind",
) -> ApprovalRule:
    """The rule that sets the chain of a subject of this kind asked for by `actor`; none
    refuses it (`field` names the input at fault)."""
    roles = {role.code for role in policy.roles_of(actor)}
    rule = match_rule(kind=kind, confidentiality=confidentiality, relation=relation, roles=roles)
    if rule is None:
        raise ApplicationError(_("没有适用的审批规则,请联系档案管理员"), field=field)
    return rule


def rule_for(*, actor: User, kind: str, dossier: Dossier, relation: str) -> ApprovalRule:
    return choose_rule(
        actor=actor, kind=kind, confidentiality=dossier.confidentiality, relation=relation
    )


@dataclass(frozen=True)
class PlannedStep:
    role: str
    department: Department | None
    next_level: str = ""  # the role a stalled step goes to (empty: the archivist)


def validate_steps(steps: Any) -> list[dict[str, str]]:
    """Steps in their stored shape (an approval rule's, a checklist item's sign-offs), read
    through the one schema; an ApplicationError names the problem."""
    return [step.stored() for step in parse_steps(steps)]
