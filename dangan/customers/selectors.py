"""Reading customers: the list with its filters, always inside the actor's scope."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangan.accounts import policy
from dangan.core import crypto, identifiers
from dangan.customers.models import Customer

_DIGITS = re.compile(r"^\d{4,}$")
_ID_TAIL = re.compile(r"^[0-9]{3,5}[0-9X]$")


def customer_query_q(raw: str, *, names_only: bool = False) -> Q:
    """What a clerk types in the box: a name or part of it, 4+ phone digits, an ID number
    whole or its last 4, 5 or 6 characters, a USCC or an archive number.

    `names_only` is for field-limited roles: matching on a field one may not see would
    reveal it (search for a phone number, learn whose it is)."""
    text = identifiers.normalize(raw)[:100]
    if not text:
        return Q()
    q = Q(name__icontains=raw.strip()[:100])
    if names_only:
        return q
    q |= Q(dossiers__archive_number=text)
    if _DIGITS.match(text):
        q |= Q(mobile__contains=text) | Q(phone__contains=text)
    if len(text) == 18:
        q |= Q(uscc=text) | Q(id_number_lookup=crypto.lookup_hash(f"resident_id:{text}"))
    elif _ID_TAIL.match(text):
        purpose = f"last{len(text)}"  # the regex allows 4 to 6 characters
        q |= Q(**{f"id_{purpose}_lookup": crypto.lookup_hash(text, purpose=purpose)})
    return q


# What a field-limited role (business staff) may filter on: what it may see.
LIMITED_FILTERS = frozenset({"q", "kind"})


def customer_list(actor: Any, *, filters: dict[str, Any]) -> QuerySet[Customer]:
    qs = policy.customers_for(actor)
    visible = policy.customer_fields_for(actor)
    if visible is not None:
        # Filtering on a hidden field would disclose it (which customers are 主力客户?).
        filters = {key: value for key, value in filters.items() if key in LIMITED_FILTERS}
    if filters.get("q"):
        qs = qs.filter(customer_query_q(filters["q"], names_only=visible is not None))
    for key in ("kind", "tier", "stage", "category"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    if filters.get("department"):
        qs = qs.filter(department_id=filters["department"])
    if filters.get("owner"):
        qs = qs.filter(owner_id=filters["owner"])
    qs = qs.distinct().select_related("owner", "department")
    return with_dossier_count(actor, qs).order_by("-created_at", "-id")


def with_dossier_count(actor: Any, qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate `dossier_count`, counting only the dossiers the actor may see: a count
    can leak a 绝密 dossier too."""
    return qs.annotate(
        dossier_count=Count(
            "dossiers",
            filter=Q(dossiers__in=policy.dossiers_for(actor).values("pk")),
            distinct=True,
        )
    )
