"""Reading the rules: who would approve a request ("谁来审批?"), the versions of a rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, Role, User
from dangan.archives.models import Dossier
from dangan.circulation.models import ApprovalRule
from dangan.circulation.rules import match_rule, spec_of
from dangan.core.errors import ApplicationError
from dangan.rules import schema
from dangan.rules.models import RuleVersion
from dangan.rules.services import approval_rule_version

DEPARTMENT_LABELS = {
    "requester": _("申请人所在部门"),
    "customer": _("客户所属部门"),
    "any": _("不限部门"),
}


def may_read_rules(actor: Any) -> None:
    policy.require_any(actor, perms.ARCHIVE_TYPE_MANAGE, perms.CIRCULATION_MANAGE)


@dataclass
class PreviewStep:
    position: int
    role: str
    role_name: str
    department_rule: str
    department: Department | None
    approvers: list[User] = field(default_factory=list)

    @property
    def department_label(self) -> str:
        if self.department is not None:
            return self.department.name
        return str(DEPARTMENT_LABELS.get(self.department_rule, self.department_rule))


@dataclass
class Preview:
    rule: ApprovalRule | None
    version: RuleVersion | None
    steps: list[PreviewStep]

    @property
    def approved_at_once(self) -> bool:
        return self.rule is not None and not self.steps

    @property
    def stalls(self) -> bool:
        """Some step has nobody to decide it."""
        return any(not step.approvers for step in self.steps)


def _department(value: Any, key: str) -> Department | None:
    if value in (None, ""):
        return None
    try:
        return Department.objects.get(pk=int(value))
    except (Department.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("部门不存在"), field=key) from None


def approval_preview(
    *,
    actor: Any,
    kind: str,
    confidentiality: str,
    relation: str,
    requester_role: str,
    requester_department: Any = None,
    customer_department: Any = None,
) -> Preview:
    """The rule a request of this shape (or a destruction list, a statement: kind
    `disposal`, `statement`) would match and, step by step, the people who would be asked
    to approve it (the active holders of the step's role, in the step's
    department where it has one)."""
    may_read_rules(actor)
    if kind not in schema.RULE_KINDS:
        raise ApplicationError(_("申请类型无效"), field="kind")
    if kind in schema.SUBJECT_KINDS:
        # A destruction list or a statement: matched by kind and the asker's role only.
        confidentiality = relation = ""
    elif confidentiality not in Dossier.Confidentiality.values:
        raise ApplicationError(_("密级无效"), field="confidentiality")
    elif relation not in schema.RELATIONS:
        raise ApplicationError(_("与客户关系无效"), field="relation")
    if not Role.objects.filter(code=requester_role).exists():
        raise ApplicationError(_("申请人角色不存在"), field="requester_role")
    departments = {
        "requester": _department(requester_department, "requester_department"),
        "customer": _department(customer_department, "customer_department"),
        "any": None,
    }
    rule = match_rule(
        kind=kind, confidentiality=confidentiality, relation=relation, roles={requester_role}
    )
    if rule is None:
        return Preview(rule=None, version=None, steps=[])
    names = dict(Role.objects.values_list("code", "name"))
    steps = []
    for n, step in enumerate(spec_of(rule).steps, start=1):
        department = departments[step.department]
        bound = step.department != "any"
        holders = (
            list(policy.office_holders(step.role, department.pk if department else None))
            if department is not None or not bound
            else []
        )
        steps.append(
            PreviewStep(
                position=n,
                role=step.role,
                role_name=names.get(step.role, step.role),
                department_rule=step.department,
                department=department,
                approvers=holders,
            )
        )
    return Preview(rule=rule, version=approval_rule_version(rule), steps=steps)


def approval_rules() -> list[ApprovalRule]:
    return list(ApprovalRule.objects.order_by("priority", "id"))


def rule_versions(subject: str, object_id: int) -> list[RuleVersion]:
    return list(
        RuleVersion.objects.filter(subject=subject, object_id=object_id)
        .select_related("actor")
        .order_by("-number")
    )
