"""Reads for hand-overs. Who sees a batch: its parties (sender, named receiver, creator),
members of the receiving department who may receive, and hand-over managers within
their data scope. Anyone else gets the same NotFound as for a batch that does not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.core.errors import NotFound
from dangan.handover.models import Custody, Handover, HandoverItem

NOT_FOUND = _("记录不存在或您无权查看")


def _base() -> QuerySet[Handover]:
    return Handover.objects.select_related(
        "from_user",
        "from_department",
        "to_user",
        "to_department",
        "created_by",
        "sender_signed_by",
        "receiver_signed_by",
    )


def receives_for_department(actor: User, handover: Handover) -> bool:
    """A member of the receiving department who holds the receive permission."""
    return (
        handover.to_department_id is not None
        and actor.department_id == handover.to_department_id
        and policy.has_perm(actor, perms.HANDOVER_RECEIVE)
    )


def is_receiver(actor: User, handover: Handover) -> bool:
    if handover.to_user_id is not None:
        return handover.to_user_id == actor.pk
    return receives_for_department(actor, handover)


def is_sender(actor: User, handover: Handover) -> bool:
    if handover.from_user_id == actor.pk:
        return True
    # A leaving employee may be gone: the manager who ran the departure signs for them.
    return handover.kind == Handover.Kind.DEPARTURE and handover.created_by_id == actor.pk


def _visible(actor: User) -> Q:
    mine = Q(from_user=actor) | Q(to_user=actor) | Q(created_by=actor)
    if actor.department_id is not None and policy.has_perm(actor, perms.HANDOVER_RECEIVE):
        mine |= Q(to_user__isnull=True, to_department_id=actor.department_id)
    if policy.has_perm(actor, perms.HANDOVER_MANAGE):
        scope = policy.data_scope(actor)
        if scope == Role.Scope.ALL:
            return Q()
        if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
            mine |= Q(from_department_id=actor.department_id) | Q(
                to_department_id=actor.department_id
            )
    return mine


def handovers_for(actor: User | Any) -> QuerySet[Handover]:
    if not isinstance(actor, User) or not actor.is_active:
        return Handover.objects.none()
    return _base().filter(_visible(actor))


def handover_list(actor: User, *, box: str = "", status: str = "") -> QuerySet[Handover]:
    """`box`: "sent", "received", "open" or "" for everything the actor may see."""
    found = handovers_for(actor)
    if box == "sent":
        found = found.filter(Q(from_user=actor) | Q(created_by=actor))
    elif box == "received":
        received = Q(to_user=actor)
        if actor.department_id is not None and policy.has_perm(actor, perms.HANDOVER_RECEIVE):
            received |= Q(to_user__isnull=True, to_department_id=actor.department_id)
        found = found.filter(received)
    elif box == "open":
        found = found.filter(status__in=Handover.OPEN)
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-id")


def access_handover(actor: User | Any, handover_id: Any) -> Handover:
    try:
        key = int(handover_id)
    except (TypeError, ValueError):
        raise NotFound(NOT_FOUND) from None
    found = handovers_for(actor).filter(pk=key).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def handover_items(handover: Handover) -> list[HandoverItem]:
    return list(
        handover.items.select_related("dossier__customer", "dossier__archive_type")
        .prefetch_related("lines")
        .order_by("id")
    )


def open_item_for(dossier_id: int) -> HandoverItem | None:
    return (
        HandoverItem.objects.filter(dossier_id=dossier_id, is_open=True)
        .select_related("handover")
        .first()
    )


def custody_of(dossier_id: int) -> Custody | None:
    return (
        Custody.objects.filter(dossier_id=dossier_id)
        .select_related("user", "department", "handover")
        .first()
    )


def last_signed(dossier_id: int) -> Handover | None:
    return (
        _base()
        .filter(
            items__dossier_id=dossier_id,
            status__in=(Handover.Status.SIGNED, Handover.Status.RETURNED),
        )
        .order_by("-closed_at", "-id")
        .first()
    )
