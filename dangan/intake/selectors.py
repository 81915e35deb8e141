"""Reads of intake data, always through the policy layer (STYLE 2)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.archives.models import Dossier
from dangan.core.errors import NotFound
from dangan.intake import deadlines
from dangan.intake.calendar import Calendar
from dangan.intake.models import ExceptionStatement, Finding

# The overdue list looks at dossiers opened within this many days (a deadline follows
# the business dates, which follow the dossier's opening by days or weeks, not years).
OVERDUE_WINDOW_DAYS = 400


def findings_for(actor: policy.Actor) -> QuerySet[Finding]:
    """Findings on dossiers the actor may see."""
    return Finding.objects.filter(dossier__in=policy.dossiers_for(actor).values("pk"))


def _id(value: Any) -> int:
    try:
        key = int(value)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    if not 0 < key < 2**63:
        raise NotFound(_("记录不存在或您无权查看"))
    return key


def access_finding(actor: policy.Actor, finding_id: Any) -> Finding:
    finding = (
        findings_for(actor)
        .select_related("dossier__customer", "dossier__archive_type", "responsible", "document")
        .filter(pk=_id(finding_id))
        .first()
    )
    if finding is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return finding


def access_statement(actor: policy.Actor, statement_id: Any) -> ExceptionStatement:
    statement = (
        ExceptionStatement.objects.filter(finding__in=findings_for(actor))
        .select_related("finding__dossier")
        .filter(pk=_id(statement_id))
        .first()
    )
    if statement is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return statement


def statement_people(actor: policy.Actor) -> Q:
    """Whose figures the actor may read in the monthly statement: by data scope."""
    if not isinstance(actor, User):
        return Q(pk__in=[])
    scope = policy.data_scope(actor)
    if scope == Role.Scope.ALL:
        return Q()
    if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
        return Q(department_id=actor.department_id) | Q(pk=actor.pk)
    return Q(pk=actor.pk)


def filter_findings(queryset: QuerySet[Finding], params: dict[str, str]) -> QuerySet[Finding]:
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("kind"):
        queryset = queryset.filter(kind=params["kind"])
    if params.get("person"):
        queryset = queryset.filter(responsible_id=int(params["person"]))
    if params.get("archive_type"):
        queryset = queryset.filter(dossier__archive_type_id=int(params["archive_type"]))
    if params.get("dossier"):
        queryset = queryset.filter(dossier_id=int(params["dossier"]))
    return queryset


def overdue_by_person(
    actor: policy.Actor, *, today: datetime.date | None = None
) -> list[tuple[User, list[tuple[Dossier, deadlines.DeadlineResult]]]]:
    """Visible dossiers past their deadline (or lacking the date it needs), by the
    customer's account manager."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=OVERDUE_WINDOW_DAYS)
    dossiers = (
        policy.dossiers_for(actor)
        .filter(created_at__date__gte=since, status=Dossier.Status.FILED)
        .exclude(archive_type__deadline={})
        .exclude(customer__isnull=True)  # company files: no account manager to chase
        .select_related("customer__owner")
        .order_by("created_at")
    )
    cal = Calendar()
    grouped: dict[int, list[tuple[Dossier, deadlines.DeadlineResult]]] = defaultdict(list)
    owners: dict[int, User] = {}
    for dossier in deadlines.prime(list(dossiers)):
        result = deadlines.dossier_deadline(dossier, cal=cal, today=today)
        late = result.state == deadlines.OVERDUE and result.submitted is None
        customer = dossier.customer
        if customer is not None and (late or result.state == deadlines.DATE_MISSING):
            owners[customer.owner_id] = customer.owner
            grouped[customer.owner_id].append((dossier, result))
    return [(owners[pk], grouped[pk]) for pk in sorted(grouped, key=lambda k: str(owners[k]))]


def pending_for(actor: User) -> list[ExceptionStatement]:
    """Statements waiting at a step the actor may sign (the engine's query), never one
    they submitted or are responsible for."""
    from dangan.circulation.approvals import waiting_for

    if not policy.has_perm(actor, perms.DOSSIER_VIEW):
        return []
    steps = waiting_for(actor, "statement").values("statement_id")
    pending = (
        ExceptionStatement.objects.filter(
            status=ExceptionStatement.Status.PENDING,
            finding__in=findings_for(actor),
            pk__in=steps,
        )
        .exclude(submitted_by=actor)
        .exclude(finding__responsible=actor)
        .select_related("finding__dossier")
    )
    return list(pending[:200])
