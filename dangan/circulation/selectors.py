"""Reads for access requests, approvals, loans, grants and notifications."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Grant, User
from dangan.archives.models import Dossier
from dangan.circulation import approvals
from dangan.circulation.models import AccessRequest, ApprovalStep, Loan, Notification
from dangan.core.errors import NotFound
from dangan.documents.models import Document

NOT_FOUND = _("记录不存在或您无权查看")


def _role_codes(actor: User) -> list[str]:
    return [role.code for role in policy.roles_of(actor)]


def _steps_for(actor: User) -> Q:
    """The steps the actor may sign (the engine's may_sign as a query)."""
    return approvals.signable_by(actor)


def _requests() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.select_related(
        "requester", "dossier__customer", "rule", "grant"
    ).prefetch_related("steps__approver", "steps__department", "documents")


def _awaiting(actor: User, requests: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    """Those of `requests` pending at a step the actor may decide (never their own)."""
    if not isinstance(actor, User) or not actor.is_active:
        return requests.none()
    steps = ApprovalStep.objects.filter(_steps_for(actor), status=ApprovalStep.Status.PENDING)
    return requests.filter(
        status=AccessRequest.Status.PENDING, pk__in=steps.values("request_id")
    ).exclude(requester=actor)


def approvals_for(actor: User) -> QuerySet[AccessRequest]:
    """Pending requests whose current step the actor may decide (never their own)."""
    return _awaiting(actor, _requests()).order_by("created_at", "id")


def approvals_count(actor: User) -> int:
    """How many approvals_for lists: the menu's badge, on every page (see menu_counts)."""
    return _count(_approvals_query(actor))


def _approvals_query(actor: User) -> tuple[str, list[Any]] | None:
    """approvals_count's statement; None when it is 0 without asking. The same
    conditions as _awaiting, written as one SQL statement: the ORM took about 1 ms to
    build and compile it, twenty times what the database takes to answer (tests check
    the two agree)."""
    if not isinstance(actor, User) or not actor.is_active:
        return None
    codes = _role_codes(actor)
    if not codes:
        return None
    departments = "s.department_id IS NULL"
    params: list[Any] = [AccessRequest.Status.PENDING, actor.pk, ApprovalStep.Status.PENDING]
    params += codes
    if actor.department_id is not None:
        departments += " OR s.department_id = %s"
        params.append(actor.department_id)
    params += codes
    marks = ", ".join(["%s"] * len(codes))
    sql = (
        f"SELECT COUNT(*) FROM {AccessRequest._meta.db_table} r "  # noqa: S608 - table names
        "WHERE r.status = %s AND r.requester_id <> %s AND r.id IN ("
        f"SELECT s.request_id FROM {ApprovalStep._meta.db_table} s "
        f"WHERE s.status = %s AND ((s.role IN ({marks}) AND ({departments})) "
        f"OR s.escalated_to IN ({marks})))"
    )
    return sql, params


def _count(query: tuple[str, list[Any]] | None) -> int:
    if query is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*query)
        return int(cursor.fetchone()[0])


def menu_counts(actor: User) -> tuple[int, int, int]:
    """(approvals_count, unread_count, changes_count) as one statement: the menu shows
    the three badges on every page, and each was a round trip of its own."""
    queries = [_approvals_query(actor), _unread_query(actor), _changes_query(actor)]
    asked = [query for query in queries if query is not None]
    if not asked:
        return 0, 0, 0
    sql = "SELECT " + ", ".join(f"({part})" for part, _params in asked)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _sql, params in asked for value in params])
        found = iter(cursor.fetchone())
    approvals, unread, changes = (0 if query is None else int(next(found)) for query in queries)
    return approvals, unread, changes


def _changes_query(actor: User) -> tuple[str, list[Any]] | None:
    """How many change requests wait for the actor's signature: the count of
    dangan.changes.selectors.waiting_for (its steps: pending, signable by the actor, of a
    pending request the actor did not ask for) as SQL for menu_counts (tests check the
    two agree)."""
    from dangan.changes.models import ChangeRequest  # changes builds on circulation

    if not isinstance(actor, User) or not actor.is_active:
        return None
    codes = _role_codes(actor)
    if not codes:
        return None
    departments = "s.department_id IS NULL"
    params: list[Any] = [ApprovalStep.Status.PENDING, ChangeRequest.Status.PENDING, actor.pk]
    params += codes
    if actor.department_id is not None:
        departments += " OR s.department_id = %s"
        params.append(actor.department_id)
    params += codes
    marks = ", ".join(["%s"] * len(codes))
    sql = (
        f"SELECT COUNT(*) FROM {ApprovalStep._meta.db_table} s "  # noqa: S608 - table names
        f"INNER JOIN {ChangeRequest._meta.db_table} c ON c.id = s.change_request_id "
        "WHERE s.status = %s AND c.status = %s AND c.requester_id <> %s "
        f"AND ((s.role IN ({marks}) AND ({departments})) OR s.escalated_to IN ({marks}))"
    )
    return sql, params


def requests_of(actor: User) -> QuerySet[AccessRequest]:
    if not isinstance(actor, User):
        return AccessRequest.objects.none()
    return _requests().filter(requester=actor).order_by("-created_at", "-id")


def requests_visible_to(actor: User) -> QuerySet[AccessRequest]:
    """The requester, anyone who decided or may decide a step, and the archive's managers."""
    if not isinstance(actor, User) or not actor.is_active:
        return AccessRequest.objects.none()
    if policy.has_perm(actor, perms.CIRCULATION_MANAGE):
        return _requests()
    steps = ApprovalStep.objects.filter(_steps_for(actor) | Q(approver=actor))
    return _requests().filter(Q(requester=actor) | Q(pk__in=steps.values("request_id")))


def access_request(actor: User, request_id: Any) -> AccessRequest:
    try:
        key = int(request_id)
    except (TypeError, ValueError):
        raise NotFound(NOT_FOUND) from None
    found = requests_visible_to(actor).filter(pk=key).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def readable(actor: User, dossier: Dossier | None) -> bool:
    """Whether the actor may read the dossier (its title names the customer): a request
    for a dossier one could only discover shows its number, type and department."""
    return dossier is not None and policy.dossiers_for(actor).filter(pk=dossier.pk).exists()


def _loans() -> QuerySet[Loan]:
    return Loan.objects.select_related(
        "dossier__customer", "borrower__department", "lent_by", "returned_to", "request"
    )


def loans_open() -> QuerySet[Loan]:
    return _loans().filter(returned_at__isnull=True).order_by("due_at", "id")


def loans_overdue(now: datetime.datetime | None = None) -> QuerySet[Loan]:
    return loans_open().filter(due_at__lt=now or timezone.now())


def loans_visible_to(actor: User) -> QuerySet[Loan]:
    """Everything for those who lend or manage; one's own loans for anyone else."""
    if not isinstance(actor, User) or not actor.is_active:
        return Loan.objects.none()
    if policy.has_perm(actor, perms.CIRCULATION_LEND) or policy.has_perm(
        actor, perms.CIRCULATION_MANAGE
    ):
        return _loans()
    return _loans().filter(borrower=actor)


def access_loan(actor: User, loan_id: Any) -> Loan:
    try:
        key = int(loan_id)
    except (TypeError, ValueError):
        raise NotFound(NOT_FOUND) from None
    found = loans_visible_to(actor).filter(pk=key).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def handout_queue(now: datetime.datetime | None = None) -> QuerySet[AccessRequest]:
    """Approved borrow requests not yet lent and still in time: what the archive room
    hands out next, the oldest approval first."""
    return (
        _requests()
        .filter(
            kind="borrow",
            status=AccessRequest.Status.APPROVED,
            until__gt=now or timezone.now(),
            loan__isnull=True,
        )
        .select_related("dossier__archive_type", "requester__department")
        .order_by("decided_at", "id")
    )


def originals_kept(loan: Loan) -> list[Document]:
    """The dossier's originals that stayed in the room when the loan went out (none for a
    whole-dossier loan): the slip lists them."""
    if loan.scope == Loan.Scope.WHOLE:
        return []
    from dangan.circulation.services import originals_of

    lent = {d.pk for d in loan.documents.all()}
    return [d for d in originals_of(loan.dossier).order_by("piece_number") if d.pk not in lent]


def open_loan_for(dossier: Dossier) -> Loan | None:
    """The loan a dossier is out on (for "on loan to …" beside its location)."""
    return loans_open().filter(dossier=dossier).first()


def grants_visible_to(actor: User, *, active_only: bool = True) -> QuerySet[Grant]:
    if not isinstance(actor, User) or not actor.is_active:
        return Grant.objects.none()
    grants = Grant.objects.select_related("user", "granted_by")
    if not policy.has_perm(actor, perms.CIRCULATION_MANAGE):
        grants = grants.filter(user=actor)
    if active_only:
        now = timezone.now()
        grants = grants.filter(revoked_at__isnull=True, starts_at__lte=now, expires_at__gt=now)
    return grants.order_by("expires_at", "id")


def notifications_of(actor: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    if not isinstance(actor, User):
        return Notification.objects.none()
    found = Notification.objects.filter(user=actor)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-id")


def unread_count(actor: User) -> int:
    """How many of notifications_of(actor, unread_only=True) there are: the menu's badge,
    on every page (see menu_counts)."""
    return _count(_unread_query(actor))


def _unread_query(actor: User) -> tuple[str, list[Any]] | None:
    """unread_count's statement (the ORM's count cost fifteen times the query)."""
    if not isinstance(actor, User):
        return None
    sql = (
        f"SELECT COUNT(*) FROM {Notification._meta.db_table} "  # noqa: S608 - table name
        "WHERE user_id = %s AND read_at IS NULL"
    )
    return sql, [actor.pk]


@dataclass(frozen=True)
class RegisterRow:
    """One line of the 借阅登记表 (the paper register this replaces)."""

    at: datetime.datetime  # lent at, or approved at for views and copies
    kind: str  # view | borrow | copy
    kind_label: str
    request_number: str
    archive_number: str
    dossier_title: str
    person: str
    department: str
    purpose: str
    due_at: datetime.datetime | None
    renewals: int
    returned_at: datetime.datetime | None
    returned_to: str
    complete: bool | None
    note: str
    approvers: str


def register_rows(year: int | None = None) -> list[RegisterRow]:
    """Loans, and approved views and copies, in time order (of `year` if given)."""
    loans = _loans().prefetch_related("request__steps__approver")
    requests = _requests().filter(status=AccessRequest.Status.APPROVED, kind__in=["view", "copy"])
    if year is not None:
        loans = loans.filter(lent_at__year=year)
        requests = requests.filter(decided_at__year=year)
    rows = [_loan_row(loan) for loan in loans] + [_request_row(r) for r in requests]
    return sorted(rows, key=lambda row: row.at)


def _approvers(request: AccessRequest | None) -> str:
    if request is None:
        return ""
    names = [str(s.approver) for s in request.steps.all() if s.approver is not None]
    return "、".join(names) or str(_("无需审批"))


def _loan_row(loan: Loan) -> RegisterRow:
    notes = [n for n in (loan.return_note, loan.damage_note) if n]
    return RegisterRow(
        at=loan.lent_at,
        kind="borrow",
        kind_label=str(_("借阅")),
        request_number=loan.request.number if loan.request else "",
        archive_number=loan.dossier.archive_number,
        dossier_title=loan.dossier.title,
        person=str(loan.borrower),
        department=str(loan.borrower.department or ""),
        purpose=loan.request.purpose if loan.request else "",
        due_at=loan.due_at,
        renewals=loan.renewals,
        returned_at=loan.returned_at,
        returned_to=str(loan.returned_to or ""),
        complete=loan.return_complete,
        note=";".join(notes),
        approvers=_approvers(loan.request),
    )


def _request_row(request: AccessRequest) -> RegisterRow:
    return RegisterRow(
        at=request.decided_at or request.created_at,
        kind=request.kind,
        kind_label=request.get_kind_display(),
        request_number=request.number,
        archive_number=request.dossier.archive_number,
        dossier_title=request.dossier.title,
        person=str(request.requester),
        department=str(getattr(request.requester, "department", "") or ""),
        purpose=request.purpose,
        due_at=request.until,
        renewals=0,
        returned_at=None,
        returned_to="",
        complete=None,
        note="",
        approvers=_approvers(request),
    )
