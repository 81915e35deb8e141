"""The one search box: what the actor may see, matched, ranked, grouped and highlighted.

Every candidate set starts from the policy layer (customers_for / dossiers_for /
documents_for), and the counts are counts of those same filtered querysets, so a record
the actor may not see is neither listed nor counted. Field-limited roles (business staff)
match on names only: matching a phone number would tell them whose it is.

The work is split by concern: query (parse, filters, highlighting), candidates (find:
what matches, per kind, from the policy layer), rank (scoring); this module pages, ranks
and presents the hits (search). The public names stay importable from here."""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString

from dangan.accounts import policy
from dangan.accounts.models import Role
from dangan.core import bulk
from dangan.customers.models import Customer
from dangan.search import index
from dangan.search.candidates import Found, Matches, _exact_ids, find
from dangan.search.query import (
    FILTER_KEYS,
    MAX_QUERY,
    _Query,
    _Rank,
    filter_choices,
    highlight,
    parse,
    snippet,
)
from dangan.search.rank import (
    _ROWS,
    _TABLES,
    CANDIDATES,
    CustomerRow,
    DocumentRow,
    DossierRow,
    _score_customer,
    _score_document,
    _score_dossier,
)

__all__ = [
    "CANDIDATES",
    "CAP",
    "FILTER_KEYS",
    "MAX_QUERY",
    "NARROW_DEPTH",
    "PAGE",
    "CustomerRow",
    "DocumentRow",
    "DossierRow",
    "Found",
    "Group",
    "Hit",
    "Matches",
    "SearchResult",
    "filter_choices",
    "find",
    "highlight",
    "parse",
    "search",
    "snippet",
]

PAGE = 20
CAP = 200  # matches checked and counted per kind; more are shown as "200+"
NARROW_DEPTH = 5  # how many times CAP a narrow view reads down the index when capped


@dataclass
class Hit:
    kind: str
    pk: int
    title: SafeString
    subtitle: SafeString
    url: str
    score: int
    reasons: list[str] = field(default_factory=list)
    # What a hit of another kind adds to the API's answer (a discoverable dossier's
    # archive number, type, department and where to ask for it).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    kind: str
    label: str
    count: int
    hits: list[Hit]
    more: bool = False  # count is a lower bound: the index had more matches than CAP


@dataclass
class SearchResult:
    query: str
    error: str = ""
    groups: list[Group] = field(default_factory=list)
    # Which of some dossier ids policy.dossiers_for(actor) holds, by the search's own
    # policy query (compiled already); None when the search was filtered (its query is
    # then narrower) or had no dossiers to ask about. For discover.discoverable.
    readable_dossiers: Callable[[list[int]], set[int]] | None = field(default=None, repr=False)

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def more(self) -> bool:
        """Some group stopped counting at CAP."""
        return any(g.more for g in self.groups)


_KIND_LABELS = dict(Customer.Kind.choices)  # lazy labels: translated when shown

_PK_MARK = 918273645  # stands for the primary key in a reversed URL


@functools.cache
def _url_pattern(name: str, prefix: str) -> str:
    """A URL with the key left to fill in; `prefix` (the script prefix, part of what
    reverse() returns) is part of the cache key."""
    return reverse(name, args=[_PK_MARK])


def _url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a page of hits, without resolving it each time."""
    return _url_pattern(name, get_script_prefix()).replace(str(_PK_MARK), str(pk))


def _customer_hit(actor: Any, c: CustomerRow, query: _Query, limited: bool, rank: _Rank) -> Hit:
    return Hit(
        kind="customer",
        pk=c.pk,
        title=highlight(c.name, query.needles),
        subtitle=SafeString(  # escaped here
            html.escape(str(_KIND_LABELS[c.kind]))
            + ("" if limited else html.escape(" · " + policy.shown_mobile(actor, c.mobile)))
        ),
        url=_url("customers:detail", c.pk),
        score=rank[0],
        reasons=[str(reason) for reason in rank[1]],
    )


def _dossier_hit(actor: Any, d: DossierRow, query: _Query, limited: bool, rank: _Rank) -> Hit:
    extra = [str(v) for k, v in (d.fields or {}).items() if k in ("vin", "unit", "member_no")]
    return Hit(
        kind="dossier",
        pk=d.pk,
        title=highlight(f"{d.archive_number} {d.title}", query.needles),
        subtitle=highlight(
            " · ".join([d.customer_name or "", d.archive_type_name, *extra]).lstrip(" ·"),
            query.needles,
        ),
        url=_url("archives:dossier", d.pk),
        score=rank[0],
        reasons=[str(reason) for reason in rank[1]],
    )


def _document_hit(actor: Any, doc: DocumentRow, query: _Query, limited: bool, rank: _Rank) -> Hit:
    return Hit(
        kind="document",
        pk=doc.pk,
        title=highlight(doc.title, query.needles),
        subtitle=SafeString(  # escaped here, and the snippet by highlight
            html.escape(doc.dossier_archive_number)
            + (" · " + snippet(doc.text, query.needles) if doc.text else "")
        ),
        url=_url("archives:dossier", doc.dossier_id),
        score=rank[0],
        reasons=[str(reason) for reason in rank[1]],
    )


# Per kind: how a candidate is scored (all candidates), and how a hit is shown (the
# first PAGE only: highlighting and URLs are not worth computing for the rest).
# Scorers take (query, limited, object), so that a search binds the first two once.
_KINDS: dict[str, tuple[Callable[[_Query, bool, Any], _Rank], Callable[..., Hit]]] = {
    "customer": (lambda query, limited, c: _score_customer(c, query, limited), _customer_hit),
    "dossier": (lambda query, limited, d: _score_dossier(d, query), _dossier_hit),
    "document": (lambda query, limited, doc: _score_document(doc, query), _document_hit),
}


def _page(
    matches: Matches,
    query: _Query,
    narrow: bool,
    score: Callable[[Any], _Rank],
    first: list[int] | None = None,
    first_exact: list[int] | None = None,
) -> tuple[int, bool, list[tuple[int, list[str], Any]]]:
    """The count and the first PAGE of one kind, best first, in a few bounded queries.

    The index hands over at most CAP matching ids (the newest first) and the exact hits
    come from indexed columns; one policy query keeps those the actor may see and reads
    the columns that scoring and showing need (where the policy tells the hidden ones
    without reading them, Matches.hidden, only the rows shown are read). A count of CAP
    or more is shown as
    "CAP+". When the actor's view is narrow (own or department customers, or filters)
    and those CAP were mostly other people's — fewer than a page left — it reads
    further down, through the entries in the actor's scope (Matches.scope: their
    customers', their granted dossiers', and those that say nobody's; of a filter's
    owner or department) where there is one, else NARROW_DEPTH times as far through
    everyone's, so the actor's own records, or the filter's, are not hidden behind
    others'.

    Id lists go to the database as one parameter (bulk.id_list): the ORM would prepare
    a thousand ids one by one, and the policy query is compiled once."""
    pool, capped = _pool(matches, query, CAP, first, first_exact)
    if not pool:
        return 0, False, []
    found = _visible_rows(matches, _admitted(matches, pool) if narrow else pool)
    if narrow and capped and len(found) < PAGE:
        # Within the actor's scope the entries read are theirs (or say nobody's): CAP of
        # them fill the page; through everyone's, NARROW_DEPTH times as many.
        scope = matches.scope()
        depth = CAP if scope is not None else CAP * NARROW_DEPTH
        known = set(pool)
        # The exact hits are those already read (up to CAP + 1, first_exact) where the
        # depth is CAP; else read again, as deep.
        exact = first_exact if depth == CAP else None
        deeper, capped = _pool(matches, query, depth, exact=exact, scope=scope)
        pool += [pk for pk in deeper if pk not in known]
        found.update(_visible_rows(matches, [pk for pk in deeper if pk not in known]))
    visible = [pk for pk in pool if pk in found]
    if not visible:
        return 0, False, []
    count = min(len(visible), CAP)
    more = capped or len(visible) > CAP
    wanted = visible[:CANDIDATES]
    if found[wanted[0]] is None:  # checked by id only: read the rows of those shown
        # from their table (checked already: no policy query again)
        found = _table_rows(matches.kind, wanted)
    return count, more, _best([found[pk] for pk in wanted if pk in found], score)


def _admitted(matches: Matches, ids: list[int]) -> list[int]:
    """Those of `ids` the actor's scope admits, by what their entries say (Matches.whose:
    PostgreSQL's candidates; exact hits, and SQLite's, are all kept): for an account
    manager, most of everyone's newest matches are other people's, and the policy need
    not check them one by one. (An entry that named a former owner would hide a record
    from its new one: the trigger of search 0003 moves the entries with the customer,
    and an index write reads the owner under a lock, search.services._owners_locked.)"""
    if not matches.whose:
        return ids
    scope = matches.scope()
    if scope is None:
        return ids
    whose, kind = matches.whose, matches.kind
    return [pk for pk in ids if pk not in whose or scope.admits(kind, whose[pk])]


def _best(objects: list[Any], score: Callable[[Any], _Rank]) -> list[tuple[int, list[Any], Any]]:
    """The first PAGE by score, then newest first."""
    scored = [(*score(obj), obj) for obj in objects]
    scored.sort(key=lambda row: (-row[0], -row[2].pk))
    return scored[:PAGE]


def _pool(
    matches: Matches,
    query: _Query,
    depth: int,
    ids: list[int] | None = None,
    exact: list[int] | None = None,
    scope: index.Scope | None = None,
) -> tuple[list[int], bool]:
    """Up to `depth` matches from the index and up to `depth` exact hits (`ids` and
    `exact` when already read: depth + 1 of them), exact hits first, then the newest; and
    whether there were more."""
    if ids is None:
        ids = index.candidates(matches.kind, query.terms, depth, scope)
    if exact is None:
        exact = matches.exact_ids(depth + 1) if matches.exact_ids is not None else []
    capped = len(ids) >= depth or len(exact) > depth
    seen = set(exact[:depth])
    return exact[:depth] + [pk for pk in ids if pk not in seen], capped


def _visible_rows(matches: Matches, ids: list[int]) -> dict[int, Any]:
    """Those of `ids` the actor may see, by id, with their rows or None. Customers and
    dossiers: with their rows, read by the policy query itself (a few hundred short rows
    cost less than a second query), or None where the policy tells the hidden ones
    without reading them (`hidden`). Documents: None (a text is long, and documents are
    checked through their dossiers). _page reads the rows of the few it shows."""
    if not ids:
        return {}
    if matches.dossiers is not None:
        known = {pk: w[2] for pk, w in matches.whose.items() if w[2] is not None}
        pairs = index.document_dossiers(ids, known)
        dossier_ids = list({d for _pk, d in pairs})
        hidden = matches.hidden(dossier_ids) if matches.hidden else None
        if hidden is None:
            dossiers = matches.dossiers
            query = _ids_query(
                matches, "dossiers", lambda listed: dossiers.filter(pk__in=listed).values_list("pk")
            )
            allowed = {row[0] for row in query(dossier_ids)}
            return {pk: None for pk, dossier in pairs if dossier in allowed}
        return {pk: None for pk, dossier in pairs if dossier not in hidden}
    hidden = matches.hidden(ids) if matches.hidden else None
    if hidden is not None:
        return {pk: None for pk in ids if pk not in hidden}
    return _rows(matches, ids)


def _rows(matches: Matches, ids: list[int]) -> dict[int, Any]:
    """The rows (_ROWS) of those of `ids` the policy queryset (`matches.base`) holds, by
    id, in one query."""
    row, columns = _ROWS[matches.kind]
    values = _ids_query(
        matches, "rows", lambda listed: matches.base.filter(pk__in=listed).values_list(*columns)
    )(ids)
    if matches.kind == "dossier":
        values = _json_fields(values)
    return {v[0]: row._make(v) for v in values}


def _ids_query(
    matches: Matches, name: str, build: Callable[[RawSQL], QuerySet[Any]]
) -> Callable[[list[int]], list[tuple[Any, ...]]]:
    """A query of a search's policy queryset for some ids (`build(id list)`), to run with
    one list of ids and then another: the ORM compiles it at the first call of the
    search, and the next ones (a narrow view reads further down: _page) send the same
    SQL with their own id list. Building and compiling the policy query (scope, grants,
    clearance) cost more than running it. Plain values come back: JSON as text."""

    def run(ids: list[int]) -> list[tuple[Any, ...]]:
        plan = matches.compiled.get(name)
        if plan is None:
            plan = matches.compiled[name] = _compile_ids_query(build)
        if not plan:  # nothing to reuse (an empty scope): the ORM answers
            return list(build(bulk.id_list(ids)).order_by())
        sql, params, at = plan
        params = list(params)
        params[at] = bulk.id_list(ids).params[0]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    return run


def _compile_ids_query(
    build: Callable[[RawSQL], QuerySet[Any]],
) -> tuple[str, list[Any], int] | tuple[()]:
    stand_in = bulk.id_list([_PK_MARK])
    try:
        sql, params = build(stand_in).order_by().query.sql_with_params()
    except (EmptyResultSet, FullResultSet):
        return ()
    at = [i for i, value in enumerate(params) if value == stand_in.params[0]]
    return (str(sql), list(params), at[0]) if len(at) == 1 else ()


def _json_fields(values: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Dossier rows from a plain cursor: their custom fields come back as JSON text."""
    at = DossierRow._fields.index("fields")
    return [(*v[:at], _json(v[at]), *v[at + 1 :]) for v in values]


@functools.cache
def _table_rows_sql(kind: str, vendor: str) -> str:
    """The SQL of _rows(kind, <the whole table>, ids), compiled by the ORM once per kind
    and database: building and compiling it took three times as long as SQLite took to
    answer it. Its one parameter is the id list (bulk.id_list)."""
    _row, columns = _ROWS[kind]
    listed = bulk.id_list([0])
    query = _TABLES[kind].objects.filter(pk__in=listed).order_by().values_list(*columns)
    sql, params = query.query.sql_with_params()
    if list(params) != listed.params:
        raise AssertionError(f"{kind} rows: unexpected parameters {params!r}")
    return str(sql)


def _table_rows(kind: str, ids: list[int]) -> dict[int, Any]:
    """_rows of the given ids from their table (ids the policy has passed already)."""
    row, _columns = _ROWS[kind]
    with connection.cursor() as cursor:
        cursor.execute(_table_rows_sql(kind, connection.vendor), bulk.id_list(ids).params)
        values = cursor.fetchall()
    if kind == "dossier":  # JSON comes back as text from a plain cursor, on both databases
        values = _json_fields(values)
    return {v[0]: row._make(v) for v in values}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def search(actor: Any, raw: str, filters: dict[str, Any] | None = None) -> SearchResult:
    """Search everything the actor may see: per kind, the count of the matches (up to
    CAP, then "CAP+") and the first PAGE of them, best first. An empty or too-short
    query gives an empty result with a friendly message."""
    found = find(actor, raw, filters)
    query = found.query
    if query is None:
        return SearchResult(query=(raw or "").strip()[:MAX_QUERY], error=found.error)
    result = SearchResult(query=query.raw)
    narrow = bool(found.filters) or policy.data_scope(actor) != Role.Scope.ALL
    # The reasons shown are a few lazy texts, each translated once per search. (Keyed by
    # id: every reason stays alive in `rows` while its id is in use.)
    texts: dict[int, str] = {}

    def said(reasons: list[Any]) -> list[str]:
        return [texts.get(id(r)) or texts.setdefault(id(r), str(r)) for r in reasons]

    # The first read is of everyone's newest matches, for a narrow view too: asking the
    # index for the actor's own (Matches.scope) filters the entries one by one, eight
    # times as many for an account manager of eight, which cost more (a two-character
    # name's candidates 5.7 → 16.9 ms at the reference scale) than checking the others
    # saved. The scope is for reading further down (_page).
    kinds = [m.kind for m in found.kinds]
    whose: dict[str, dict[int, index.Whose]] = {}
    first = index.candidates_many(kinds, query.terms, CAP, whose=whose)
    for matches in found.kinds:
        matches.whose = whose.get(matches.kind, {})
    with_exact = [m.kind for m in found.kinds if m.exact_ids is not None]
    first_exact = _exact_ids(query, found.limited, with_exact, CAP + 1)
    for matches in found.kinds:
        score, show = _KINDS[matches.kind]
        scorer = functools.partial(score, query, found.limited)
        count, more, rows = _page(
            matches, query, narrow, scorer, first[matches.kind], first_exact.get(matches.kind)
        )
        hits = [show(actor, obj, query, found.limited, (s, said(r))) for s, r, obj in rows]
        result.groups.append(Group(matches.kind, matches.label, count, hits, more))
        if matches.kind == "dossier" and not found.filters:
            result.readable_dossiers = functools.partial(_readable, matches)
    return result


def _readable(matches: Matches, ids: list[int]) -> set[int]:
    """Those of `ids` the dossiers' policy queryset holds (SearchResult.readable_dossiers)."""
    return set(_rows(matches, ids))
