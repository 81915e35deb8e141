"""A filed piece's sign-offs on the one engine (dangan.circulation.approvals): the chain is
the checklist item's `confirm` (not an approval rule), each step an ApprovalStep bound to
the document; the filer never signs; a step nobody who can see the dossier holds goes to
its next level (the step's escalate_to, the archive room, the director), and one pending
longer than the archive type's `confirm.escalate_after_hours` is passed on as well."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep
from dangan.documents.models import Document
from dangan.rules.schema import parse_confirm, parse_steps


class ConfirmationSubject(approvals.Subject):
    """A filed piece waiting for its sign-offs: a step bound to `requester` is signed in
    the filer's department, one bound to `customer` in the dossier's keeping department
    (its customer's, or a company file's own); neither known, by any holder of the role.
    Its signers must see the dossier."""

    field = "document"
    strict_departments = False
    # Filing a piece is never refused for want of a signer: the step waits in its office
    # and the escalation run passes it on once someone can sign.
    strict_chain = False
    holder_permission = perms.DOSSIER_VIEW
    opens_what = _("档案及其文件")
    obj: Document

    @property
    def requester(self) -> User | None:
        filer: User | None = self.obj.created_by
        return filer

    def department(self, which: str) -> Department | None:
        if which == "requester":
            filer = self.obj.created_by
            return filer.department if filer is not None else None
        department: Department | None = self.obj.dossier.owner_department
        return department

    def can_open(self, user: User) -> bool:
        return policy.dossiers_for(user).filter(pk=self.obj.dossier_id).exists()

    @property
    def rule(self) -> None:
        return None

    def chain(self) -> tuple[Any, ...]:
        item = self.obj.checklist_item
        return parse_steps(item.confirm) if item is not None else ()

    @property
    def escalate_after_hours(self) -> int:
        return parse_confirm(self.obj.dossier.archive_type.confirm).escalate_after_hours

    @property
    def is_open(self) -> bool:
        return self.obj.state == Document.State.VALID

    @property
    def since(self) -> datetime.datetime:
        return self.obj.created_at

    @property
    def what(self) -> str:
        return gettext("文件确认 %(n)s“%(t)s”") % {
            "n": self.obj.dossier.archive_number,
            "t": self.obj.title,
        }

    @property
    def link(self) -> str:
        try:
            return reverse("confirmations:queue")
        except NoReverseMatch:
            return ""

    @property
    def audit_obj(self) -> Any:
        return self.obj

    def audit_detail(self) -> dict[str, Any]:
        return {"dossier": self.obj.dossier.archive_number, "piece": self.obj.piece_number}

    def ask(self, step: ApprovalStep) -> str:
        return gettext("%(n)s 的“%(t)s”待您确认") % {
            "n": self.obj.dossier.archive_number,
            "t": self.obj.title,
        }

    def remind(self, step: ApprovalStep) -> str:
        return gettext("催办:%(n)s 的“%(t)s”仍待您确认") % {
            "n": self.obj.dossier.archive_number,
            "t": self.obj.title,
        }
