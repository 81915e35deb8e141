"""Search candidates: what a query matches, per kind the actor may see (find), as
policy-filtered querysets, and the exact hits on indexed columns (identity hashes, mobile,
name, archive number) that rank first."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.core import bulk
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.search import index
from dangan.search import segment as seg
from dangan.search.models import SearchEntry
from dangan.search.query import (
    _DIGITS,
    MAX_QUERY,
    _by_identity,
    _clean_filters,
    _common_filters,
    _dossier_filters,
    _narrowed,
    _Query,
    parse,
)
from dangan.search.rank import CANDIDATES


@dataclass
class Matches:
    """Everything a query matches for one kind: the policy-filtered rows (`base`) that
    satisfy `match`, and which of them are exact hits (ranked, and exported, first)."""

    kind: str
    label: str
    base: QuerySet[Any]
    match: Q
    exact: Q
    # For the result page (see _page): the ids of exact hits and of matches the index
    # does not hold (identity numbers exist only as keyed hashes), found on indexed
    # columns of the whole table, newest first; the policy check comes after.
    exact_ids: Callable[[int], list[int]] | None = None
    # Documents: the dossiers whose documents the actor may see (what documents_for
    # means), checked on the candidates' dossier ids — a plain pk list against an
    # IN (subquery) leads SQLite to scan every visible dossier's documents.
    dossiers: QuerySet[Any] | None = None
    # Where the policy can tell without reading them (policy.customers_hidden and
    # dossiers_hidden, no filters): which of the given ids (documents: their dossiers')
    # the actor may not see, or None when the policy query must be asked after all.
    hidden: Callable[[list[int]], set[int] | None] | None = None
    # For an actor who may see some customers only, or a search filtered by owner or
    # department: whose records are theirs (the actor's customers', the dossiers granted
    # to them; the filter's owner's or department's). Of the candidates, only those it
    # admits are checked by the policy, and when the newest of everyone's held too few
    # of them, the index is asked for theirs (see _page). The policy check still
    # follows. (Made when first asked: the grants cost a query.)
    scope: Callable[[], index.Scope | None] = lambda: None
    # Whose record each candidate is, where its entry said (candidates_many): a
    # document's dossier, and the owner and department for `scope`.
    whose: dict[int, index.Whose] = field(default_factory=dict)
    # The policy queries of this search, compiled once (selectors._ids_query).
    compiled: dict[str, Any] = field(default_factory=dict)

    @property
    def queryset(self) -> QuerySet[Any]:
        """Every match (built on demand: the result page rarely needs it)."""
        return self.base.filter(self.match)


@dataclass
class Found:
    query: _Query | None  # None when `error` refuses the query
    limited: bool
    kinds: list[Matches]
    error: str = ""
    filters: dict[str, Any] = field(default_factory=dict)


def _may_be_name(query: _Query) -> bool:
    """Digits alone (a phone, an ID or member number) are never looked up as a name."""
    return not query.raw.isdigit()


def _numbers(query: _Query, limited: bool) -> list[tuple[str, str]]:
    """Exact customer hits by number, as (indexed column, value): the identity hash the
    query stands for, and the mobile; none for field-limited searches."""
    if limited:
        return []
    numbers = [query.identity] if query.identity is not None else []
    if _DIGITS.match(query.norm):
        numbers.append(("mobile", query.norm))
    return numbers


def _customers_exact(query: _Query, limited: bool) -> Q:
    """Exact customer hits, all on indexed columns: identity hashes, name, mobile."""
    exact = Q(pk__in=[])
    for column, value in _numbers(query, limited):
        exact |= Q(**{column: value})
    if _may_be_name(query):
        exact |= Q(name=query.raw)
    return exact


# One lookup of exact hits: (kind, table, condition on indexed columns, its parameters,
# how many of the newest).
_Lookup = tuple[str, type[Customer | Dossier], str, list[Any], int]


def _exact_lookups(query: _Query, limited: bool, kinds: list[str], limit: int) -> list[_Lookup]:
    """The lookups of the exact hits of `kinds`, up to `limit` each (see _exact_ids).

    A name is in the index too, so its exact hits are needed for ranking only (the first
    CANDIDATES); identity numbers are not, so their hits are counted from here. Archive
    numbers and customer names are in the index as well: for dossiers these lookups only
    rank the exact hits first. The lookups stay apart, each on indexed columns: one OR of
    them across a join, or with an IN (subquery), would scan every dossier."""
    lookups: list[_Lookup] = []
    few = min(limit, CANDIDATES)
    named = _may_be_name(query)
    if "customer" in kinds:
        if named:
            lookups.append(("customer", Customer, "name = %s", [query.raw], few))
        numbers = _numbers(query, limited)
        if numbers:
            # Column names are identity_lookup's and "mobile", never input.
            where = " OR ".join(f"{column} = %s" for column, _value in numbers)
            values = [value for _column, value in numbers]
            lookups.append(("customer", Customer, where, values, limit))
    if "dossier" in kinds:
        lookups.append(("dossier", Dossier, "archive_number = %s", [query.norm], few))
        if named:
            customers = connection.ops.quote_name(Customer._meta.db_table)
            of_named = (
                f"customer_id IN (SELECT id FROM {customers} "  # noqa: S608 - model table
                "WHERE name = %s ORDER BY id DESC LIMIT %s)"
            )
            lookups.append(("dossier", Dossier, of_named, [query.raw, few], few))
    return lookups


def _exact_ids(query: _Query, limited: bool, kinds: list[str], limit: int) -> dict[str, list[int]]:
    """The ids of the exact hits of each of `kinds` on the whole table (the policy check
    comes after), newest first, up to `limit`: all of them in one statement, a UNION of
    lookups on indexed columns (a search asks for them once per page; each was a round
    trip of its own)."""
    lookups = _exact_lookups(query, limited, kinds, limit)
    found: dict[str, set[int]] = {kind: set() for kind in kinds}
    if lookups:
        parts: list[str] = []
        params: list[Any] = []
        for number, (_kind, model, where, values, newest) in enumerate(lookups):
            table = connection.ops.quote_name(model._meta.db_table)
            parts.append(
                f"SELECT {number} AS n, id FROM (SELECT id FROM {table} WHERE {where} "  # noqa: S608
                "ORDER BY id DESC LIMIT %s) AS e"
            )
            params += [*values, newest]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for number, pk in cursor.fetchall():
                found[lookups[number][0]].add(pk)
    # Dossiers: for ranking only, the first CANDIDATES.
    cut = {"customer": limit, "dossier": min(limit, CANDIDATES)}
    return {kind: sorted(ids, reverse=True)[: cut[kind]] for kind, ids in found.items()}


def _exact_ids_of(query: _Query, limited: bool, kind: str) -> Callable[[int], list[int]]:
    def lookup(limit: int) -> list[int]:
        return _exact_ids(query, limited, [kind], limit)[kind]

    return lookup


def find(actor: Any, raw: str, filters: dict[str, Any] | None = None) -> Found:
    """What `raw` and `filters` match, per kind the actor may see, as whole querysets
    (nothing is cut or ranked here): the one source of the result page, which ranks
    and shows the first PAGE of each, and of the export, which writes them all.

    Every queryset starts from the policy layer, so what the actor may not see is
    neither listed, counted nor exported. An empty or too-short query is refused with a
    friendly message in `error` (a single Chinese character — a surname — is allowed)."""
    text = (raw or "").strip()[:MAX_QUERY]
    limited = policy.customer_fields_for(actor) is not None
    if not text:
        error = str(_("请输入姓名、电话、证件号、档号、房号或文件内容"))
        return Found(query=None, limited=limited, kinds=[], error=error)
    if len(text) < 2 and not seg.has_cjk(text):
        return Found(query=None, limited=limited, kinds=[], error=str(_("请至少输入2个字符")))
    filters = {} if limited else _clean_filters(filters)
    query = parse(text, names_only=limited)
    found = Found(query=query, limited=limited, kinds=[], filters=filters)
    dossier_q = _dossier_filters(filters)
    scope = policy.customer_scope(actor)
    granted = _granted_once(actor)

    if policy.has_perm(actor, perms.CUSTOMER_VIEW):
        customers = _lazy(
            functools.partial(_customers_in_scope, actor, filters, dossier_q, granted)
        )
        matched = index.matching_ids(SearchEntry.Kind.CUSTOMER, query.terms)
        exact = _customers_exact(query, limited)
        match = Q(pk__in=matched) | _by_identity(query, limited)
        found.kinds.append(
            Matches(
                "customer",
                str(_("客户")),
                customers,
                match,
                exact,
                _exact_ids_of(query, limited, "customer"),
                hidden=None if filters else _hidden(policy.customers_hidden, actor),
                scope=functools.partial(_index_scope, scope, filters, granted, None),
            )
        )

    if policy.has_perm(actor, perms.DOSSIER_VIEW):
        dossiers = _lazy(functools.partial(_dossiers_in_scope, actor, filters, dossier_q, granted))
        # VINs, member numbers, units and names are in the index; only the archive number
        # (unique, indexed) is matched on its column as well, in case it was typed verbatim.
        matched = index.matching_ids(SearchEntry.Kind.DOSSIER, query.terms)
        match = Q(pk__in=matched) | Q(archive_number=query.norm)
        exact = Q(archive_number=query.norm) | Q(customer__name=query.raw)
        found.kinds.append(
            Matches(
                "dossier",
                str(_("档案")),
                dossiers,
                match,
                exact,
                _exact_ids_of(query, limited, "dossier"),
                hidden=None if filters else _hidden(policy.dossiers_hidden, actor),
                scope=functools.partial(_index_scope, scope, filters, granted, perms.DOSSIER_VIEW),
            )
        )

    if not limited and policy.has_perm(actor, perms.DOCUMENT_VIEW):
        # documents_for(actor), built on the same dossier queryset the page checks (by
        # the candidates' dossier ids, when the policy cannot tell without asking).
        dossiers = _lazy(
            functools.partial(
                _dossiers_in_scope,
                actor,
                filters,
                dossier_q,
                granted,
                action=perms.DOCUMENT_VIEW,
            )
        )
        documents = _lazy(functools.partial(_documents_of, dossiers))
        matched = index.matching_ids(SearchEntry.Kind.DOCUMENT, query.terms)
        # Titles are not indexed in the database: exact titles are found among the
        # candidates (scored 900) rather than by scanning every document.
        exact = Q(title=query.raw)
        found.kinds.append(
            Matches(
                "document",
                str(_("文件")),
                documents,
                Q(pk__in=matched),
                exact,
                dossiers=dossiers,
                hidden=None
                if filters
                else _hidden(policy.dossiers_hidden, actor, action=perms.DOCUMENT_VIEW),
                scope=functools.partial(_index_scope, scope, filters, granted, perms.DOCUMENT_VIEW),
            )
        )
    return found


# The dossiers granted to the actor for a code (see _granted_once).
_Granted = Callable[[str], frozenset[int]]


def _granted_once(actor: Any) -> _Granted:
    """The dossiers that grants in force open to the actor for a code: read when a scope
    or a policy queryset first asks (policy.granted_dossiers, one query for every code),
    then kept for the search."""
    read = functools.cache(functools.partial(policy.granted_dossiers, actor))

    def granted(code: str) -> frozenset[int]:
        return read().get(code, frozenset())

    return granted


def _index_scope(
    scope: tuple[list[int], list[int]] | None,
    filters: dict[str, Any],
    granted: _Granted,
    action: str | None,
) -> index.Scope | None:
    """The index scope of the customers in `scope` (policy.customer_scope; None: all) or
    of their dossiers or documents, and then of the dossiers `granted` to the actor for
    `action` (policy.granted_dossiers); narrowed to the owner and department the search
    is filtered by, if any. None when the actor sees everyone's and no such filter
    narrows."""
    owner, department = filters.get("owner"), filters.get("department")
    if scope is None:
        if owner is None and department is None:
            return None
        return index.Scope(None, owner=owner, department=department)
    dossiers = granted(action) if action is not None else None
    return index.Scope(*scope, dossiers=dossiers, owner=owner, department=department)


def _hidden(
    check: Callable[..., set[int] | None], actor: Any, **options: Any
) -> Callable[[list[int]], set[int] | None]:
    """`check` (policy.customers_hidden, dossiers_hidden) for the actor, given the ids as
    one parameter (bulk.id_list)."""

    def hidden(ids: list[int]) -> set[int] | None:
        return check(actor, bulk.id_list(ids), **options)

    return hidden


def _lazy(build: Callable[[], QuerySet[Any]]) -> QuerySet[Any]:
    """A queryset built when first used. The policy querysets (grants subqueries, scope
    joins) cost about as much to build as a query to run, and a result page needs them
    only when the policy cannot tell the hidden candidates without asking (see
    Matches.hidden); exports always do."""
    return cast("QuerySet[Any]", SimpleLazyObject(build))


def _customers_in_scope(
    actor: Any, filters: dict[str, Any], dossier_q: Q, granted: _Granted
) -> QuerySet[Customer]:
    """customers_for(actor), narrowed by the filters (the dossier ones through dossiers)."""
    customers = _narrowed(policy.customers_for(actor), _common_filters(filters, "", "created_at"))
    if dossier_q:
        dossiers = policy.dossiers_for(actor, granted=granted(perms.DOSSIER_VIEW))
        dossiers = dossiers.filter(dossier_q)
        customers = customers.filter(pk__in=dossiers.values("customer_id"))
    return customers


def _dossiers_in_scope(
    actor: Any,
    filters: dict[str, Any],
    dossier_q: Q,
    granted: _Granted,
    *,
    action: str = perms.DOSSIER_VIEW,
) -> QuerySet[Dossier]:
    """dossiers_for(actor, action=action), narrowed by the filters, with what a dossier
    hit shows (its customer and archive type)."""
    scope_q = dossier_q & _common_filters(filters, "customer__", "created_at")
    dossiers = policy.dossiers_for(actor, action=action, granted=granted(action))
    dossiers = _narrowed(dossiers, scope_q)
    return dossiers.select_related("customer", "archive_type")


def _documents_of(dossiers: QuerySet[Dossier]) -> QuerySet[Document]:
    return Document.objects.filter(dossier__in=dossiers.values("pk")).select_related("dossier")
