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

STEP_DEPARTMENTS = ("requester", "customer", "any")


def relation_of(actor: User, dossier: Dossier) -> str:
    """own: the actor is the customer's account manager; department: the customer belongs
    to the actor's department; otherwise other."""
    customer = dossier.customer
    if customer.owner_id == actor.pk:
        return Relation.OWN
    if actor.department_id is not None and customer.department_id == actor.department_id:
        return Relation.DEPARTMENT
    return Relation.OTHER


def rule_for(*, actor: User, kind: str, dossier: Dossier, relation: str) -> ApprovalRule:
    roles = {role.code for role in policy.roles_of(actor)}
    for rule in ApprovalRule.objects.filter(is_active=True).order_by("priority", "id"):
        if rule.kind and rule.kind != kind:
            continue
        if rule.confidentiality and rule.confidentiality != dossier.confidentiality:
            continue
        if rule.relation and rule.relation != relation:
            continue
        if rule.requester_role and rule.requester_role not in roles:
            continue
        return rule
    raise ApplicationError(_("没有适用的审批规则,请联系档案管理员"), field="kind")


@dataclass(frozen=True)
class PlannedStep:
    role: str
    department: Department | None
    next_level: str = ""  # the role a stalled step goes to (empty: the archivist)


def validate_steps(steps: Any) -> list[dict[str, str]]:
    """A rule's steps in their stored shape, or an ApplicationError naming the problem."""
    if not isinstance(steps, list):
        raise ApplicationError(_("审批步骤应为列表"), field="steps")
    cleaned = []
    for step in steps:
        if not isinstance(step, dict) or not isinstance(step.get("role"), str) or not step["role"]:
            raise ApplicationError(_("每个审批步骤须指定角色"), field="steps")
        department = step.get("department", "any")
        if department not in STEP_DEPARTMENTS:
            raise ApplicationError(_("审批部门应为 requester、customer 或 any"), field="steps")
        cleaned_step = {"role": step["role"], "department": department}
        escalate_to = step.get("escalate_to", "")
        if not isinstance(escalate_to, str):
            raise ApplicationError(_("上一级审批角色应为角色代码"), field="steps")
        if escalate_to:
            cleaned_step["escalate_to"] = escalate_to
        cleaned.append(cleaned_step)
    return cleaned


def plan_steps(rule: ApprovalRule, *, actor: User, dossier: Dossier) -> list[PlannedStep]:
    """The rule's steps bound to departments. A department-bound step whose department
    is unknown cannot be approved by anyone, so the request is refused up front."""
    planned = []
    for step in validate_steps(rule.steps):
        department: Department | None = None
        if step["department"] == "requester":
            department = actor.department
        elif step["department"] == "customer":
            department = dossier.customer.department
        if step["department"] != "any" and department is None:
            raise ApplicationError(
                _("该申请须由部门审批,但无法确定审批部门,请联系档案管理员"), field="dossier"
            )
        planned.append(
            PlannedStep(
                role=step["role"], department=department, next_level=step.get("escalate_to", "")
            )
        )
    return planned
