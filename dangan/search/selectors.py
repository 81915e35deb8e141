"""The one search box: what the actor may see, matched, ranked, grouped and highlighted.

Every candidate set starts from the policy layer (customers_for / dossiers_for /
documents_for), and the counts are counts of those same filtered querysets, so a record
the actor may not see is neither listed nor counted. Field-limited roles (business staff)
match on names only: matching a phone number would tell them whose it is."""

from __future__ import annotations

import datetime
import functools
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role
from dangan.archives.models import Dossier
from dangan.core import bulk, identifiers
from dangan.customers.models import Customer, identity_lookup
from dangan.documents.models import Document
from dangan.search import index
from dangan.search import segment as seg
from dangan.search.models import SearchEntry

MAX_QUERY = 100  # longer queries are cut; nobody types more into a search box
CANDIDATES = 50  # objects scored per kind (the exact hits, then the newest matches)
PAGE = 20
CAP = 200  # matches checked and counted per kind; more are shown as "200+"
NARROW_DEPTH = 5  # how many times CAP a narrow view reads down the index when capped
FILTER_KEYS = ("archive_type", "status", "department", "owner", "date_from", "date_to", "room")

_DIGITS = re.compile(r"^\d{4,}$")
_ALNUM = re.compile(r"^[0-9A-Z]{4,}$")
_LETTERS = re.compile(r"^[a-z]{2,}$")


@dataclass
class Hit:
    kind: str
    pk: int
    title: SafeString
    subtitle: SafeString
    url: str
    score: int
    reasons: list[str] = field(default_factory=list)


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

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def more(self) -> bool:
        """Some group stopped counting at CAP."""
        return any(g.more for g in self.groups)


@dataclass
class _Query:
    raw: str  # stripped, cut
    norm: str  # identifiers.normalize: no spaces, ASCII digits, upper case
    terms: index.Terms
    needles: list[str]  # what to highlight
    # The identity lookup column and hash `norm` stands for, if any (customers'
    # identity_lookup; None for field-limited searches): worked out once per search.
    identity: tuple[str, str] | None = None


# A candidate's score and why it matched (lazy texts: most candidates are never shown).
_Rank = tuple[int, list[Any]]


def highlight(text: str, needles: list[str]) -> SafeString:
    """Escape first, then wrap each match in <mark>: user text never becomes markup.
    (html.escape, which django.utils.html.escape wraps, without a SafeString for each
    piece, and SafeString rather than mark_safe, whose lazy-text check costs more than
    the escaping: a result page highlights a few hundred pieces.)"""
    folded = text.lower()
    spans: list[tuple[int, int]] = []
    for needle in needles:
        if not needle:
            continue
        needle = needle.lower()
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    if not spans:
        return SafeString(html.escape(text))
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return SafeString("".join(out))  # every piece is escaped above


def snippet(text: str, needles: list[str], width: int = 40) -> SafeString:
    folded = text.lower()
    positions = [folded.find(n.lower()) for n in needles if n and n.lower() in folded]
    start = max(min(positions, default=0) - width, 0)
    piece = text[start : start + width * 3].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width * 3 < len(text) else ""
    return SafeString(prefix + highlight(piece, needles) + suffix)  # highlight escapes


def parse(raw: str, *, names_only: bool) -> _Query:
    text = raw.strip()[:MAX_QUERY]
    norm = identifiers.normalize(text)
    cleaned = seg.clean(text)
    terms = index.Terms()
    needles = [text]
    if cleaned:
        terms.names.append(cleaned)
    if not names_only:
        digits = re.sub(r"\D", "", norm)
        if _DIGITS.match(norm):
            terms.ids.append((norm, True))  # any 4+ digits of a phone: a prefix of a suffix
            needles.append(norm)
        elif _ALNUM.match(norm):
            terms.ids.append((norm.lower(), False))  # VIN, last 6 of a VIN, member no
            needles.append(norm)
        units = seg.unit_query(text)
        terms.ids += [(key, False) for key in units]
        if cleaned and cleaned != norm.lower():
            terms.ids.append((cleaned, False))  # an archive number, punctuation removed
        # A unit (3-1203) is looked up as a unit, not as the words "3" and "1203" of
        # every text that happens to hold both numbers.
        words = [] if units else seg.query_words(text)
        terms.words = words
        needles += words
        if digits and digits not in needles:
            needles.append(digits)
    identity = None if names_only else identity_lookup(norm)
    return _Query(raw=text, norm=norm, terms=terms, needles=needles, identity=identity)


def filter_choices(actor: Any) -> dict[str, list[tuple[Any, Any]]]:
    """The (value, label) pairs the search filters offer the actor: active archive types,
    dossier statuses, the account managers the actor may assign (own scope: only
    themselves), and the departments, for an actor who sees every customer (anyone else
    sees their own department's at most: a department would narrow nothing). Only the
    columns shown are read (a type row holds its whole template)."""
    from dangan.accounts.models import Department
    from dangan.archives.models import ArchiveType

    types = ArchiveType.objects.filter(is_active=True).order_by("code")
    owners = policy.assignable_owners(actor).order_by("username")
    departments = Department.objects.order_by("code") if policy.sees_all_customers(actor) else None
    return {
        "archive_type": list(types.values_list("code", "name")),
        "status": list(Dossier.Status.choices),
        # (pk, str(user)) without making User instances: User.__str__ is the full name,
        # else the username.
        "owner": [
            (pk, full or name)
            for pk, name, full in owners.values_list("pk", "username", "full_name")
        ],
        "department": [] if departments is None else list(departments.values_list("pk", "name")),
    }


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _dossier_filters(filters: dict[str, Any]) -> Q:
    q = Q()
    if filters.get("archive_type"):
        q &= Q(archive_type__code=filters["archive_type"])
    if filters.get("status"):
        q &= Q(status=filters["status"])
    if filters.get("room"):
        q &= Q(location_room__icontains=str(filters["room"])[:40])
    return q


def _common_filters(filters: dict[str, Any], prefix: str, created: str) -> Q:
    q = Q()
    if filters.get("department"):
        q &= Q(**{f"{prefix}department_id": filters["department"]})
    if filters.get("owner"):
        q &= Q(**{f"{prefix}owner_id": filters["owner"]})
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    if start:
        q &= Q(**{f"{created}__date__gte": start})
    if end:
        q &= Q(**{f"{created}__date__lte": end})
    return q


def _by_identity(query: _Query, names_only: bool) -> Q:
    """Identity numbers are not in the index (only their keyed hashes exist): match the
    indexed lookup columns, as customer_query_q does."""
    if names_only or query.identity is None:
        return Q(pk__in=[])
    column, lookup = query.identity
    return Q(**{column: lookup})


class CustomerRow(NamedTuple):
    """What scoring and showing a customer hit read: plain values, no model instance
    (a page scores up to CANDIDATES rows per kind)."""

    pk: int
    kind: str
    name: str
    mobile: str
    phone: str
    uscc: str
    id_number_lookup: str
    id_last4_lookup: str
    id_last5_lookup: str
    id_last6_lookup: str


class DossierRow(NamedTuple):
    pk: int
    archive_number: str
    title: str
    fields: dict[str, Any] | None
    customer_name: str
    archive_type_name: str


class DocumentRow(NamedTuple):
    pk: int
    title: str
    text: str
    dossier_id: int
    dossier_archive_number: str


_TABLES: dict[str, type[Customer | Dossier | Document]] = {
    "customer": Customer,
    "dossier": Dossier,
    "document": Document,
}

# Per kind: the row type and the columns it is read from (in its field order).
_ROWS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "customer": (CustomerRow, ("pk", *CustomerRow._fields[1:])),
    "dossier": (
        DossierRow,
        ("pk", "archive_number", "title", "fields", "customer__name", "archive_type__name"),
    ),
    "document": (
        DocumentRow,
        ("pk", "title", "text", "dossier_id", "dossier__archive_number"),
    ),
}


# Why a candidate matched: one lazy text each, made once (a search scores hundreds of
# candidates; the hits shown translate each reason once, see search()).
_WHY_NAME = _("姓名")
_WHY_ID_NUMBER = _("证件号码")
_WHY_MOBILE = _("手机号码")
_WHY_USCC = _("信用代码")
_WHY_PHONE = _("电话号码")
_WHY_INITIALS = _("拼音首字母")
_WHY_ARCHIVE_NUMBER = _("档号")
_WHY_MEMBER_NO = _("会员号")
_WHY_UNIT = _("房号")
_WHY_CUSTOMER_NAME = _("客户姓名")
_WHY_DOSSIER_TITLE = _("案卷题名")
_WHY_DOCUMENT_TITLE = _("文件题名")
_WHY_DOCUMENT_TEXT = _("文件内容")


def _score_customer(c: CustomerRow, query: _Query, limited: bool) -> _Rank:
    raw, norm = query.raw, query.norm
    if c.name == raw:
        return 900, [_WHY_NAME]
    if not limited:
        if query.identity is not None:
            column, lookup = query.identity
            if getattr(c, column) == lookup:  # whole number 1000, its last digits 850
                return (1000 if column == "id_number_lookup" else 850), [_WHY_ID_NUMBER]
        if norm and norm in (c.mobile, c.uscc):
            return 1000, [_WHY_MOBILE if norm == c.mobile else _WHY_USCC]
        if _DIGITS.match(norm) and (norm in c.mobile or norm in re.sub(r"\D", "", c.phone)):
            return 600, [_WHY_PHONE]
    if c.name.startswith(raw):
        return 700, [_WHY_NAME]
    if raw in c.name:
        return 500, [_WHY_NAME]
    first, _full = seg.initials(c.name)
    if first and raw.lower() == first:
        return 650, [_WHY_INITIALS]
    return 300, [_WHY_NAME]


def _score_dossier(d: DossierRow, query: _Query) -> _Rank:
    norm = query.norm
    fields = d.fields or {}
    vin = identifiers.normalize(str(fields.get("vin") or ""))
    member = identifiers.normalize(str(fields.get("member_no") or ""))
    unit = str(fields.get("unit") or "")
    if norm and norm == d.archive_number.upper():
        return 1000, [_WHY_ARCHIVE_NUMBER]
    if vin and norm == vin:
        return 950, ["VIN"]
    if member and norm == member:
        return 950, [_WHY_MEMBER_NO]
    if vin and len(norm) >= 6 and vin.endswith(norm):
        return 850, ["VIN"]
    keys = seg.unit_query(query.raw)
    if keys and unit:
        building, entrance = str(fields.get("building") or ""), str(fields.get("entrance") or "")
        have = seg.unit_keys(building, entrance, unit)
        if keys[0] in have:
            return 850, [_WHY_UNIT]
        if set(keys[1:]) & set(have):  # the entrance asked for was never recorded
            return 800, [_WHY_UNIT]
    if d.customer_name == query.raw:
        return 700, [_WHY_CUSTOMER_NAME]
    if query.raw in d.customer_name:
        return 500, [_WHY_CUSTOMER_NAME]
    if query.raw in d.title:
        return 400, [_WHY_DOSSIER_TITLE]
    return 200, []


def _score_document(doc: DocumentRow, query: _Query) -> _Rank:
    if doc.title == query.raw:
        return 900, [_WHY_DOCUMENT_TITLE]
    if query.raw in doc.title:
        return 700, [_WHY_DOCUMENT_TITLE]
    if all(w in doc.title.lower() for w in query.terms.words):
        return 600, [_WHY_DOCUMENT_TITLE]
    if query.raw in doc.text:
        return 400, [_WHY_DOCUMENT_TEXT]
    return 300, [_WHY_DOCUMENT_TEXT]


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


def _clean_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The known filters with a value; ids that are not ids are dropped, texts cut."""
    cleaned: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS or value in (None, ""):
            continue
        if key in ("department", "owner"):
            text = str(getattr(value, "pk", value))
            if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
                cleaned[key] = int(text)
        else:
            cleaned[key] = value if isinstance(value, datetime.date) else str(value)[:40]
    return cleaned


def _narrowed(qs: QuerySet[Any], q: Q) -> QuerySet[Any]:
    """`qs` filtered by `q`; without filters, `qs` itself (a filter costs even when empty)."""
    return qs.filter(q) if q else qs


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
            " · ".join([d.customer_name, d.archive_type_name, *extra]), query.needles
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
        deeper, capped = _pool(matches, query, depth, scope=scope)
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
            allowed = set(
                matches.dossiers.filter(pk__in=bulk.id_list(dossier_ids))
                .order_by()
                .values_list("pk", flat=True)
            )
            return {pk: None for pk, dossier in pairs if dossier in allowed}
        return {pk: None for pk, dossier in pairs if dossier not in hidden}
    hidden = matches.hidden(ids) if matches.hidden else None
    if hidden is not None:
        return {pk: None for pk in ids if pk not in hidden}
    return _rows(matches.kind, matches.base, ids)


def _rows(kind: str, qs: QuerySet[Any], ids: list[int]) -> dict[int, Any]:
    """The rows (_ROWS) of those of `ids` in `qs`, by id, in one query."""
    row, columns = _ROWS[kind]
    found = qs.filter(pk__in=bulk.id_list(ids)).order_by().values_list(*columns)
    return {values[0]: row._make(values) for values in found}


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
        fields = DossierRow._fields.index("fields")
        values = [(*v[:fields], _json(v[fields]), *v[fields + 1 :]) for v in values]
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
    return result
