"""Discoverable, not readable (issue 27 §1): a search by an archive number, a customer's
exact name or an ID number tells anyone whose roles may discover (dossier.discover: by
default every role that may file a request, business staff included) that a matching
dossier exists — its archive type, archive number and owning department, nothing
personal, not its title (which holds the customer's name) — so that they can ask for it
(申请查阅). The request then routes by the approval rules to the owning side's approvers.

Only exact identifiers are looked up, each on an indexed column, and only dossiers the
actor cannot already read are listed (those are the search's own). Every lookup that
discloses a dossier is written to the audit trail with what it disclosed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record
from dangan.core import identifiers
from dangan.customers.models import Customer, identity_lookup

LIMIT = 20  # dossiers listed per lookup; an exact identifier rarely matches more


@dataclass(frozen=True)
class Discovered:
    pk: int
    archive_number: str
    archive_type: str
    department: str
    request_url: str


def _candidates(text: str) -> list[int]:
    """Ids of the dossiers (not destroyed) an exact archive number, customer name or ID
    number names, newest first: separate lookups on indexed columns."""
    norm = identifiers.normalize(text)
    # Customers' dossiers only: a company file (no customer) is its department's business.
    alive = (
        Dossier.objects.exclude(status=Dossier.Status.DESTROYED)
        .filter(customer__isnull=False)
        .order_by("-pk")
    )
    found = list(alive.filter(archive_number=norm).values_list("pk", flat=True)[:LIMIT])
    customers: list[int] = []
    if not norm.isdigit():
        customers += list(Customer.objects.filter(name=text).values_list("pk", flat=True)[:LIMIT])
    identity = identity_lookup(norm) if len(norm) == 18 else None  # whole numbers only:
    if identity is not None:  # the last 4 to 6 digits would name many strangers' dossiers
        column, value = identity
        by_id = Customer.objects.filter(**{column: value}).values_list("pk", flat=True)
        customers += list(by_id[:LIMIT])
        by_uscc = Customer.objects.filter(uscc=norm).values_list("pk", flat=True)
        customers += list(by_uscc[:LIMIT])
    if customers:
        found += list(alive.filter(customer_id__in=customers).values_list("pk", flat=True)[:LIMIT])
    return sorted(set(found), reverse=True)[:LIMIT]


def discoverable(actor: Any, raw: str) -> list[Discovered]:
    """The dossiers `raw` names exactly that the actor may discover but not read, recorded
    in the audit trail when there are any. Empty for roles without dossier.discover."""
    text = (raw or "").strip()[:100]
    if len(text) < 2 or not policy.has_perm(actor, perms.DOSSIER_DISCOVER):
        return []
    ids = _candidates(text)
    if not ids:
        return []
    readable = set(policy.dossiers_for(actor).filter(pk__in=ids).values_list("pk", flat=True))
    hidden = [pk for pk in ids if pk not in readable]
    if not hidden:
        return []
    rows = (
        Dossier.objects.filter(pk__in=hidden)
        .order_by("-pk")
        .values_list("pk", "archive_number", "archive_type__name", "customer__department__name")
    )
    base = reverse("circulation:request_create")
    found = [
        Discovered(pk, number, type_name, department or "", f"{base}?dossier={pk}")
        for pk, number, type_name, department in rows
    ]
    audit_record(
        actor=actor,
        action="discover",
        object_type="dossier",
        object_repr=", ".join(d.archive_number for d in found)[:200],
        detail={"query": text, "dossiers": [d.archive_number for d in found]},
    )
    return found
