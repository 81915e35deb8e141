"""A destruction list's approval on the one engine (dangan.circulation.approvals): the
chain is the approval rule of kind `disposal` the company configures (shipped: one step,
the director), its version recorded on the list; the proposer never signs it."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import Department, User
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep, RuleKind
from dangan.circulation.rules import choose_rule
from dangan.disposal.models import DisposalList
from dangan.rules.services import approval_rule_version

OWN = _("申报人不能审批自己的销毁清单")


class ListSubject(approvals.Subject):
    """A destruction list: asked for by its proposer (the archivist), whose department
    a step bound to `requester` is signed in. A list spans departments, so a step bound
    to `customer` has none of its own: any holder of the role signs it."""

    field = "disposal_list"
    rule_kinds = ("disposal",)
    strict_departments = False
    obj: DisposalList

    @property
    def requester(self) -> User:
        return self.obj.proposer

    def department(self, which: str) -> Department | None:
        if which == "requester":
            return self.obj.proposer.department
        return None

    @property
    def is_open(self) -> bool:
        return self.obj.status == DisposalList.Status.APPROVAL

    @property
    def since(self) -> datetime.datetime:
        return self.obj.created_at

    @property
    def what(self) -> str:
        return gettext("销毁清单 %(n)s") % {"n": self.obj.number}

    @property
    def link(self) -> str:
        return approvals.link("disposal:list", self.obj.pk)

    def ask(self, step: ApprovalStep) -> str:
        return gettext("销毁清单 %(n)s 待您审批") % {"n": self.obj.number}


def chain_open(actor: User, found: DisposalList, now: datetime.datetime) -> list[ApprovalStep]:
    """The list's chain, chosen by the rules when its appraisal ends (the list locked and
    moved to approval by the caller); the rule and its version are recorded on it."""
    rule = choose_rule(actor=found.proposer, kind=RuleKind.DISPOSAL, field="list")
    found.rule = rule
    found.rule_version = approval_rule_version(rule)
    found.save(update_fields=["rule", "rule_version"])
    return approvals.chain_open(ListSubject(found), rule, now=now, field="list")


def decidable_step(actor: User, found: DisposalList) -> ApprovalStep:
    return approvals.decidable_step(actor, ListSubject(found), own=OWN)


def may_approve(actor: User, found: DisposalList) -> bool:
    """Whether the actor may decide the list's step now (the page's buttons)."""
    if found.status != DisposalList.Status.APPROVAL or actor.pk == found.proposer_id:
        return False
    step = approvals.pending_step(ListSubject(found))
    return step is not None and approvals.may_sign(actor, step)


def approve(actor: User, found: DisposalList, step: ApprovalStep, note: str, now: Any) -> bool:
    """Approve the step; True when it was the last one."""
    return approvals.step_approve(ListSubject(found), step, actor=actor, note=note, now=now) is None


def deny(actor: User, found: DisposalList, step: ApprovalStep, note: str, now: Any) -> None:
    approvals.step_deny(ListSubject(found), step, actor=actor, note=note, now=now)


def waiting_for(actor: User) -> set[int]:
    """The lists whose pending step the actor may sign (not their own)."""
    steps = approvals.waiting_for(actor, "disposal_list").exclude(disposal_list__proposer=actor)
    return set(steps.values_list("disposal_list_id", flat=True))


def approver_roles() -> set[str]:
    """The roles the disposal rules ask, or their steps were passed to: they see lists."""
    from dangan.circulation.models import ApprovalRule

    roles: set[str] = set()
    for steps in ApprovalRule.objects.filter(kind=RuleKind.DISPOSAL).values_list(
        "steps", flat=True
    ):
        for step in steps or []:
            roles |= {step.get("role", ""), step.get("escalate_to", "")}
    roles |= set(
        ApprovalStep.objects.filter(disposal_list__isnull=False)
        .exclude(escalated_to="")
        .values_list("escalated_to", flat=True)
    )
    return roles - {""}
