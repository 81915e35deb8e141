"""Reading customers: the list with its filters, always inside the actor's scope."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL

from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.core import identifiers
from dangan.customers.models import Customer, identity_lookup
from dangan.search import index
from dangan.search import segment as seg

_DIGITS = re.compile(r"^\d{4,}$")


def customer_query_q(raw: str, *, names_only: bool = False) -> Q:
    """What a clerk types in the box: a name or part of it (or its pinyin initials, or a
    related person's name), 4+ phone digits, an ID number whole or its last 4, 5 or 6
    characters, a USCC or an archive number.

    Names and phone digits are looked up in the search index, as the search box does:
    a `LIKE '%…%'` over the customers took seconds at a million. The index is written
    when the change commits (search.services). No condition joins another table, so a
    customer matches once.

    `names_only` is for field-limited roles: matching on a field one may not see would
    reveal it (search for a phone number, learn whose it is)."""
    text = identifiers.normalize(raw)[:100]
    if not text:
        return Q()
    terms = index.Terms()
    cleaned = seg.clean(raw.strip()[:100])
    # Fewer than 4 digits are no phone number (see below) and rarely part of a name; as
    # a prefix they would match every phone's digits in the index (PostgreSQL's GIN
    # cannot tell the names' lexemes from the numbers': seconds at a million).
    if cleaned and not (cleaned.isdigit() and len(cleaned) < 4):
        terms.names.append(cleaned)
    if not names_only and _DIGITS.match(text):
        terms.ids.append((text, True))  # a prefix of one of the digits' suffixes
    matched = index.matching_ids("customer", terms) if terms else []
    parts: list[tuple[str, list[Any]]] = []
    if isinstance(matched, RawSQL):  # else nothing in the index can match
        parts.append((matched.sql, list(matched.params)))
    if not names_only:
        customers, dossiers = Customer._meta.db_table, Dossier._meta.db_table
        parts.append((_ids_where(dossiers, "archive_number", "customer_id"), [text]))
        if len(text) == 18:
            parts.append((_ids_where(customers, "uscc"), [text]))
        identity = identity_lookup(text)
        if identity is not None:
            column, lookup = identity
            parts.append((_ids_where(customers, column), [lookup]))
    if not parts:
        return Q(pk__in=[])
    # One IN (… UNION …): an OR of several IN (subquery) made PostgreSQL scan every
    # customer. Table and column names are the models'; values are parameters.
    union = " UNION ".join(sql for sql, _params in parts)
    return Q(pk__in=RawSQL(union, [v for _sql, params in parts for v in params]))  # noqa: S611


def _ids_where(table: str, column: str, key: str = "id") -> str:
    """The `key` of the rows whose `column` equals the one parameter (names from the
    models, never from input)."""
    return f"SELECT {key} FROM {table} WHERE {column} = %s"  # noqa: S608


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
    # No owner or department joined in (the list page and the export fetch those of the
    # rows they show): joined, they led SQLite to read every customer by owner and sort
    # them all.
    return qs.order_by("-created_at", "-id")


def dossier_counts(actor: Any, customer_ids: list[int]) -> dict[int, int]:
    """How many dossiers of each of these customers the actor may see (a list page's
    worth: one grouped query). Counting in the list's own query grouped every matching
    customer before the page was cut: 17 s for the whole list at a million customers."""
    visible = policy.dossiers_for(actor).filter(customer_id__in=customer_ids)
    counted = visible.order_by().values("customer_id").annotate(n=Count("id"))
    return {row["customer_id"]: row["n"] for row in counted}


def list_rows(actor: Any, customers: list[Customer]) -> list[dict[str, Any]]:
    """A list page's rows: each customer with its ID number and mobile as the actor may
    see them and the count of its dossiers the actor may see; owners and departments
    fetched for these rows only (see customer_list)."""
    prefetch_related_objects(customers, "owner", "department")
    counts = dossier_counts(actor, [c.pk for c in customers])
    return [
        {
            "customer": c,
            "id_number": policy.shown_id_number(actor, c) if c.id_number_encrypted else "",
            "mobile": policy.shown_mobile(actor, c.mobile),
            "dossiers": counts.get(c.pk, 0),
        }
        for c in customers
    ]


def with_dossier_count(actor: Any, qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate `dossier_count`, counting only the dossiers the actor may see: a count
    can leak a 绝密 dossier too. `qs` must hold only customers in the actor's scope
    (policy.dossiers_of_listed_customers)."""
    return qs.annotate(
        dossier_count=Count(
            "dossiers",
            filter=policy.dossiers_of_listed_customers(actor, "dossiers__"),
            distinct=True,
        )
    )
