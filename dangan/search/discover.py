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

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.urls import reverse

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record
from dangan.core import bulk, identifiers
from dangan.customers.models import Customer, identity_lookup

LIMIT = 20  # dossiers listed per lookup; an exact identifier rarely matches more


@dataclass(frozen=True)
class Discovered:
    pk: int
    archive_number: str
    archive_type: str
    department: str
    request_url: str


def _newest(table: str, where: str) -> str:
    """The newest rows' ids of `table` meeting `where` (its last parameter is the limit),
    as a part of a UNION ALL."""
    order = "created_at DESC, id DESC" if table == "customer" else "id DESC"
    name = connection.ops.quote_name(_TABLES[table]._meta.db_table)
    return f"SELECT id FROM (SELECT id FROM {name} WHERE {where} ORDER BY {order} LIMIT %s) AS t"  # noqa: S608 - model tables, constant conditions


# The tables of _newest: the dossiers listed, the customers whose dossiers are.
_TABLES: dict[str, type[Dossier] | type[Customer]] = {"dossier": Dossier, "customer": Customer}
# A dossier listed: a customer's (a company file is its department's business), not
# destroyed.
_ALIVE = "status <> %s AND customer_id IS NOT NULL"


def _candidates(text: str) -> list[int]:
    """Ids of the dossiers (not destroyed) an exact archive number, customer name or ID
    number names, newest first: lookups on indexed columns, as two plain statements (the
    archive number's dossiers and the customers named, then those customers' dossiers;
    each lookup built by the ORM cost more than the search's own queries)."""
    norm = identifiers.normalize(text)
    destroyed = Dossier.Status.DESTROYED.value
    # Customers' dossiers only: a company file (no customer) is its department's business.
    parts: list[tuple[int, str, list[Any]]] = [
        (0, _newest("dossier", f"{_ALIVE} AND archive_number = %s"), [destroyed, norm])
    ]
    if not norm.isdigit():
        parts.append((1, _newest("customer", "name = %s"), [text]))
    identity = identity_lookup(norm) if len(norm) == 18 else None  # whole numbers only:
    if identity is not None:  # the last 4 to 6 digits would name many strangers' dossiers
        column, value = identity  # a column of Customer, never input
        parts.append((1, _newest("customer", f"{column} = %s"), [value]))
        parts.append((1, _newest("customer", "uscc = %s"), [norm]))
    sql = " UNION ALL ".join(
        f"SELECT {n} AS n, id FROM ({part}) AS p{n}"  # noqa: S608 - built above, from constants
        for n, part, _v in parts
    )
    params: list[Any] = [v for _n, _part, values in parts for v in (*values, LIMIT)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = [pk for n, pk in rows if n == 0]
    customers = [pk for n, pk in rows if n == 1]
    if customers:
        listed = bulk.id_list(customers)
        sql = _newest("dossier", f"{_ALIVE} AND customer_id IN ({listed.sql})")
        with connection.cursor() as cursor:
            cursor.execute(sql, [destroyed, *listed.params, LIMIT])
            found += [row[0] for row in cursor.fetchall()]
    return sorted(set(found), reverse=True)[:LIMIT]


@functools.cache
def _rows_sql(vendor: str) -> str:
    """What a discoverable dossier shows, newest first, of an id list (bulk.id_list, its
    one parameter): compiled by the ORM once per database."""
    listed = bulk.id_list([0])
    query = (
        Dossier.objects.filter(pk__in=listed)
        .order_by("-pk")
        .values_list("pk", "archive_number", "archive_type__name", "customer__department__name")
    )
    sql, params = query.query.sql_with_params()
    if list(params) != listed.params:
        raise AssertionError(f"discoverable rows: unexpected parameters {params!r}")
    return str(sql)


def discoverable(
    actor: Any, raw: str, *, readable: Callable[[list[int]], set[int]] | None = None
) -> list[Discovered]:
    """The dossiers `raw` names exactly that the actor may discover but not read, recorded
    in the audit trail when there are any. Empty for roles without dossier.discover.
    `readable`: which of some ids dossiers_for(actor) holds, where the caller (the search)
    can tell by a query of its own."""
    text = (raw or "").strip()[:100]
    if len(text) < 2 or not policy.has_perm(actor, perms.DOSSIER_DISCOVER):
        return []
    ids = _candidates(text)
    if not ids:
        return []
    # Those the actor reads already are the search's own: for an actor who sees every
    # customer the policy tells them without a query (dossiers_hidden).
    unread = policy.dossiers_hidden(actor, ids)
    if unread is None and readable is not None:
        unread = set(ids) - readable(ids)
    if unread is None:
        read = policy.dossiers_for(actor).filter(pk__in=ids).values_list("pk", flat=True)
        unread = set(ids) - set(read)
    hidden = [pk for pk in ids if pk in unread]
    if not hidden:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql(connection.vendor), bulk.id_list(hidden).params)
        rows = cursor.fetchall()
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
