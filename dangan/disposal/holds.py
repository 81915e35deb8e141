"""Legal hold (冻结) on a customer (issue 24 item 5): the archivist places it with a reason
and every dossier of the customer that can be frozen moves to `legal_hold` through the
transition table; while it stands, no dossier of the customer goes onto a destruction
list or through its steps. Releasing it, with a reason, moves the dossiers it froze back
to the state each was in. A dossier held on its own (before or after) keeps its hold."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.lifecycle import Channel, clean_reason, dossier_transition
from dangan.archives.models import Dossier, DossierStatusChange
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import InvalidTransition
from dangan.customers.models import Customer
from dangan.disposal.models import CustomerHold

HOLDABLE = (
    Dossier.Status.FILED,
    Dossier.Status.TERMINATED,
    Dossier.Status.MOVED_OUT,
    Dossier.Status.APPRAISAL,
    Dossier.Status.PENDING_DISPOSAL,
)


def standing_hold(customer_id: Any) -> CustomerHold | None:
    if customer_id is None:
        return None
    return CustomerHold.objects.filter(customer_id=customer_id, released_at__isnull=True).first()


def held_customers(customer_ids: set[int]) -> set[int]:
    """Which of these customers are under a standing hold (one query)."""
    return set(
        CustomerHold.objects.filter(
            customer_id__in=customer_ids, released_at__isnull=True
        ).values_list("customer_id", flat=True)
    )


@refusals_audited("customer_hold", "customer")
@transaction.atomic
def customer_hold(*, actor: User, customer: Customer, reason: str) -> CustomerHold:
    customer = policy.access_customer(actor, customer.pk)
    policy.require(actor, perms.DOSSIER_HOLD)
    reason = clean_reason(reason)
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if standing_hold(customer.pk) is not None:
        raise InvalidTransition(_("该客户已冻结"))
    frozen = []
    dossiers = Dossier.objects.filter(customer=customer, status__in=HOLDABLE).order_by("id")
    for dossier in dossiers:
        dossier_transition(
            actor=actor,
            dossier=dossier,
            to=Dossier.Status.LEGAL_HOLD,
            reason=_("客户冻结:%(r)s") % {"r": reason},
            channel=Channel.MANUAL,
        )
        frozen.append(dossier.pk)
    hold = CustomerHold.objects.create(
        customer=customer, reason=reason, placed_by=actor, dossiers=frozen
    )
    audit_record(
        actor=actor,
        action="customer_hold",
        obj=customer,
        detail={"reason": reason, "dossiers": frozen},
    )
    return hold


def _prior(dossier: Dossier) -> str | None:
    return (
        DossierStatusChange.objects.filter(dossier=dossier, to_status=Dossier.Status.LEGAL_HOLD)
        .order_by("-at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )


@refusals_audited("customer_release", "customer")
@transaction.atomic
def customer_release(*, actor: User, customer: Customer, reason: str) -> CustomerHold:
    customer = policy.access_customer(actor, customer.pk)
    policy.require(actor, perms.DOSSIER_HOLD)
    reason = clean_reason(reason)
    hold = (
        CustomerHold.objects.select_for_update()
        .filter(customer=customer, released_at__isnull=True)
        .first()
    )
    if hold is None:
        raise InvalidTransition(_("该客户没有冻结"))
    released = []
    for dossier in Dossier.objects.filter(pk__in=hold.dossiers, status=Dossier.Status.LEGAL_HOLD):
        prior = _prior(dossier)
        if prior is None:
            continue
        dossier_transition(
            actor=actor,
            dossier=dossier,
            to=prior,
            reason=_("解除客户冻结:%(r)s") % {"r": reason},
            channel=Channel.MANUAL,
        )
        released.append(dossier.pk)
    hold.released_by, hold.released_at, hold.release_reason = actor, timezone.now(), reason
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    audit_record(
        actor=actor,
        action="customer_release",
        obj=customer,
        detail={"reason": reason, "dossiers": released},
    )
    return hold


def hold_out(hold: CustomerHold | None) -> dict[str, Any]:
    if hold is None:
        return {"held": False}
    return {
        "held": hold.released_at is None,
        "id": hold.pk,
        "customer": hold.customer_id,
        "reason": hold.reason,
        "placed_by": hold.placed_by.username,
        "placed_at": hold.placed_at,
        "dossiers": hold.dossiers,
        "released_at": hold.released_at,
        "release_reason": hold.release_reason,
    }
