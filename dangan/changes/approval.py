"""A change request's approval on the one engine (dangan.circulation.approvals): the chain
is the approval rule of kind `change` the company configures (shipped: the department
manager of the dossier's keeping department, seed 003 修改须销售部经理同意), its version
recorded on the request; the requester never signs it."""

from __future__ import annotations

import datetime

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import Department, User
from dangan.changes.models import ChangeRequest
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep

OWN = _("不能审批本人提出的修改")


class ChangeSubject(approvals.Subject):
    """A change of a filed record: a step bound to `requester` is signed in the
    requester's department, one bound to `customer` in the keeping department of the
    dossier (its customer's, or a company file's own) or the customer's. Neither known:
    any holder of the role signs it."""

    field = "change_request"
    rule_kinds = ("change",)
    strict_departments = False
    obj: ChangeRequest

    @property
    def requester(self) -> User:
        return self.obj.requester

    def department(self, which: str) -> Department | None:
        if which == "requester":
            return self.obj.requester.department
        if self.obj.dossier is not None:
            department: Department | None = self.obj.dossier.owner_department
            return department
        customer = self.obj.customer
        return customer.department if customer is not None else None

    @property
    def is_open(self) -> bool:
        return self.obj.status == ChangeRequest.Status.PENDING

    @property
    def since(self) -> datetime.datetime:
        return self.obj.created_at

    @property
    def what(self) -> str:
        return gettext("修改申请 %(req)s") % {"req": self.obj.number}

    @property
    def link(self) -> str:
        try:
            return reverse("changes:list")
        except NoReverseMatch:
            return ""

    @property
    def audit_obj(self) -> object:
        return self.obj.dossier if self.obj.dossier is not None else self.obj.customer

    def audit_detail(self) -> dict[str, object]:
        return {"request": self.obj.number}

    def ask(self, step: ApprovalStep) -> str:
        from dangan.changes.services import subject_name

        return gettext("待审批:%(user)s 申请修改%(what)s(%(req)s)") % {
            "user": self.obj.requester,
            "what": subject_name(self.obj),
            "req": self.obj.number,
        }


def may_decide(actor: User, request: ChangeRequest) -> bool:
    """Whether the actor may sign the request's current step now (never their own)."""
    if request.status != ChangeRequest.Status.PENDING or actor.pk == request.requester_id:
        return False
    step = approvals.pending_step(ChangeSubject(request))
    return step is not None and approvals.may_sign(actor, step)
