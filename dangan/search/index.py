"""The backend-specific part of the index: SQLite FTS5 or a PostgreSQL tsvector + GIN.

Both see the same pre-segmented tokens (segment.py). A query is a set of terms per column:
names (prefix terms, so any part of a name matches the suffix tokens), identifiers (OR),
and words of titles/texts (AND). Terms contain only [0-9a-z] and CJK characters, and the
query string is passed as a bound parameter, so user input never becomes SQL or FTS syntax.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from dangan.core import bulk
from dangan.search.models import SearchEntry


@dataclass
class Terms:
    names: list[str] = field(default_factory=list)  # prefix terms, OR
    ids: list[tuple[str, bool]] = field(default_factory=list)  # (term, prefix), OR
    words: list[str] = field(default_factory=list)  # exact words, AND

    def __bool__(self) -> bool:
        return bool(self.names or self.ids or self.words)


# Whose record an entry is, as its candidate brings it (PostgreSQL): the customer's
# owner and department, and the dossier (SearchEntry.owner_id, department_id, dossier_id).
Whose = tuple[int | None, int | None, int | None]


@dataclass
class Scope:
    """Whose records a search asks the index for (SearchEntry.owner_id …).

    For an actor who may see some customers only (`owners` not None): the entries of
    these account managers' and these departments' customers, those of the dossiers
    `dossiers` lists (the dossiers granted to the actor; not for customers), and those
    written before the columns existed
    (NULL: anyone's). For a search filtered by owner or department (`owner`,
    `department`): only the entries of that owner's or department's customers (or
    anyone's). It narrows what the index hands over (sql), or which candidates are
    checked (admits); the policy layer and the filters still check each record."""

    owners: list[int] | None
    departments: list[int] = field(default_factory=list)
    dossiers: Collection[int] | None = None
    owner: int | None = None
    department: int | None = None

    def sql(self, kind: str, alias: str = "") -> tuple[str, list[Any]]:
        """The condition on the entries of `kind` (columns qualified by `alias`, "e."),
        and its parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.owners is not None:
            parts = [f"{alias}owner_id IS NULL"]
            for column, ids in (("owner_id", self.owners), ("department_id", self.departments)):
                if ids:
                    parts.append(f"{alias}{column} IN ({', '.join(['%s'] * len(ids))})")
                    params += ids
            if self.dossiers and kind != SearchEntry.Kind.CUSTOMER:
                listed = bulk.id_list(list(self.dossiers))
                parts.append(f"{alias}dossier_id IN ({listed.sql})")
                params += listed.params
            conditions.append("(" + " OR ".join(parts) + ")")
        for column, value in (("owner_id", self.owner), ("department_id", self.department)):
            if value is not None:
                conditions.append(f"({alias}{column} IS NULL OR {alias}{column} = %s)")
                params.append(value)
        return "(" + " AND ".join(conditions or ["1 = 1"]) + ")", params

    def admits(self, kind: str, whose: Whose) -> bool:
        """Whether an entry of `kind` that says `whose` record it is meets sql()."""
        owner, department, dossier = whose
        for required, value in ((self.owner, owner), (self.department, department)):
            if required is not None and value is not None and value != required:
                return False
        if self.owners is None or owner is None:
            return True
        if owner in self.owners or department in self.departments:
            return True
        granted = self.dossiers or ()
        return kind != SearchEntry.Kind.CUSTOMER and dossier in granted


# Which columns can hold a match for each kind: a customer's entry has no text, a
# document's no names or identifiers. Restricting the query to them keeps a common word
# of document text from making the customer search walk through document entries.
_ALL_COLUMNS = ("names", "ids", "words")
_COLUMNS: dict[str, tuple[str, ...]] = {
    SearchEntry.Kind.CUSTOMER: ("names", "ids"),
    SearchEntry.Kind.DOSSIER: ("names", "ids", "words"),
    SearchEntry.Kind.DOCUMENT: ("words",),
}


def _fts5(terms: Terms, kind: str | None = None) -> str:
    columns = _COLUMNS.get(kind or "", _ALL_COLUMNS)
    parts = []
    if terms.names and "names" in columns:
        parts.append("name_tokens : (" + " OR ".join(f'"{t}"*' for t in terms.names) + ")")
    if terms.ids and "ids" in columns:
        ids = " OR ".join(f'"{t}"*' if prefix else f'"{t}"' for t, prefix in terms.ids)
        parts.append(f"id_tokens : ({ids})")
    if terms.words and "words" in columns:
        parts.append("text_tokens : (" + " AND ".join(f'"{t}"' for t in terms.words) + ")")
    return " OR ".join(parts)


def _tsquery(terms: Terms, kind: str | None = None) -> str:
    """The tsquery of `terms` for the entries of `kind`: a name, id or word is sought in
    its own part of the entry (weights A, B and C of the tsv column). Where the kind's
    entries hold one part only (documents: words), it goes without a weight: GIN does
    not keep weights, so PostgreSQL would read every candidate's tsvector again to check
    one, a document's long one from its TOAST table (five times the pages read)."""
    columns = _COLUMNS.get(kind or "", _ALL_COLUMNS)
    a, b, c = ("A", "B", "C") if len(columns) > 1 else ("", "", "")
    parts = [_lexeme(t, a, prefix=True) for t in terms.names] if "names" in columns else []
    if "ids" in columns:
        parts += [_lexeme(t, b, prefix=prefix) for t, prefix in terms.ids]
    if terms.words and "words" in columns:
        parts.append("(" + " & ".join(_lexeme(t, c) for t in terms.words) + ")")
    return " | ".join(parts)


def _lexeme(term: str, weight: str, *, prefix: bool = False) -> str:
    """One tsquery lexeme: 王伟:*A (prefix, weight A), 8000:B, or the bare term."""
    label = ("*" if prefix else "") + weight
    return f"{term}:{label}" if label else term


def fts_table(kind: str) -> str:
    """SQLite: the FTS5 table of one kind, its rowid the object's id (migration 0002).
    One table per kind keeps a common word of document text from being walked through
    when customers or dossiers are searched."""
    if kind not in _COLUMNS:
        raise ValueError(f"unknown search kind {kind!r}")
    return f"search_fts_{kind}"


GIN_SAMPLE = 20_000  # PostgreSQL: matches a GIN scan returns at most (see _gin_only)
_PLANNER = ("enable_seqscan", "enable_indexscan", "gin_fuzzy_search_limit")
_SETTER = "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in _PLANNER)


def _gin_only(sql: str, params: list[Any], sample: int | None = None) -> list[tuple[Any, ...]]:
    """PostgreSQL: the rows of `sql`, planned as bitmap scans of an index, with GIN scans
    that stop at about GIN_SAMPLE matches.

    Given a LIMIT, and column statistics that mix every kind (a word common in document
    titles looks common among dossiers too), the planner may bet on a sequential scan or
    a walk of the (kind, object_id) index that stops at the limit; for a word that
    matches nothing there, it reads every entry (0.3-7 s at a million). Past GIN_SAMPLE
    matches the index hands over a sample of them: more than anyone reads through, and
    the count is shown as "CAP+" either way. `sample` overrides GIN_SAMPLE (0: all).

    The settings are the transaction's own (set_config's is_local). Outside a
    transaction (a request) they and the query go as one string, which PostgreSQL runs
    as one transaction: one round trip, and the settings end with it. Inside a caller's
    transaction they are put back at once."""
    settings = ["off", "off", str(GIN_SAMPLE if sample is None else sample)]
    with connection.cursor() as cursor:
        if not connection.in_atomic_block:
            cursor.execute(f"{_SETTER}; {sql}", [*settings, *params])
            cursor.nextset()
            return list(cursor.fetchall())
        cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in _PLANNER))
        before = list(cursor.fetchone())
        with transaction.atomic():  # a savepoint: on an error the settings go back with it
            cursor.execute(_SETTER, settings)
            cursor.execute(sql, params)
            rows = list(cursor.fetchall())
            cursor.execute(_SETTER, before)
        return rows


def candidates(kind: str, terms: Terms, limit: int, scope: Scope | None = None) -> list[int]:
    """Up to `limit` object ids of `kind` whose entry matches, newest first. SQLite: the
    newest matches (FTS5 walks its rowids, the object ids, backwards and stops at the
    limit). PostgreSQL: the first `limit` matches the partial GIN index's bitmap scan
    meets, in table order, sorted here; "ORDER BY object_id DESC" would let the planner
    walk every entry of the kind for a word that matches nothing. Below the limit both
    give the same ids. With a `scope`, only the entries it names. The caller filters
    them through the policy layer; a full list means there may be more."""
    return candidates_many([kind], terms, limit, {kind: scope})[kind]


def candidates_many(
    kinds: Sequence[str],
    terms: Terms,
    limit: int,
    scopes: Mapping[str, Scope | None] | None = None,
    *,
    whose: dict[str, dict[int, Whose]] | None = None,
) -> dict[str, list[int]]:
    """candidates() of several kinds (each in its scope, if any), in one query on
    PostgreSQL (a search asks for all three kinds). There, `whose` (if given) receives,
    by kind and id, whose record each candidate's entry says it is, read with the id: a
    document's dossier for the policy check (see document_dossiers), and the owner and
    department for Scope.admits."""
    scopes = scopes or {}
    matches = {kind: _match(kind, terms, scopes.get(kind), _PG_COLUMNS) for kind in kinds}
    found: dict[str, list[int]] = {kind: [] for kind in kinds}
    if not any(matches.values()):
        return found
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for kind, (sql, params) in ((k, m) for k, m in matches.items() if m):
                cursor.execute(f"{sql} ORDER BY f.rowid DESC LIMIT %s", [*params, limit])
                found[kind] = [row[0] for row in cursor.fetchall()]
        return found

    def take(rows: list[tuple[Any, ...]]) -> None:
        for kind, object_id, *entry in rows:
            found[kind].append(object_id)
            if whose is not None:
                whose.setdefault(kind, {})[object_id] = (entry[0], entry[1], entry[2])

    asked = [(kind, match) for kind, match in matches.items() if match]
    take(_gin_only(*_union(asked, limit)))
    # A sampled scan keeps each word's matches at random, so an AND of words that are
    # all common (each in over GIN_SAMPLE entries per word) keeps only a part of their
    # intersection — of a small one, perhaps none. Where such a query came back short of
    # the limit, it is asked again without the sample.
    short = [(k, m) for k, m in asked if "&" in m[1][0] and len(found[k]) < limit]
    if short:
        for kind, _sql in short:
            found[kind] = []
        take(_gin_only(*_union(short, limit), sample=0))
    return {kind: sorted(ids, reverse=True) for kind, ids in found.items()}


def _union(asked: list[tuple[str, tuple[str, list[Any]]]], limit: int) -> tuple[str, list[Any]]:
    """PostgreSQL: one query of up to `limit` matches of each kind, as rows of the kind
    and _PG_COLUMNS."""
    union = " UNION ALL ".join(
        # The kinds' SQL is built by _match from constants; values are parameters.
        f"(SELECT %s, {_PG_COLUMNS} FROM ({sql} LIMIT %s) AS m)"  # noqa: S608
        for _kind, (sql, _params) in asked
    )
    return union, [v for kind, (_sql, p) in asked for v in (kind, *p, limit)]


# What the candidates read of an entry (PostgreSQL): the id, and whose record it is.
_PG_COLUMNS = "object_id, owner_id, department_id, dossier_id"


def _match(
    kind: str, terms: Terms, scope: Scope | None = None, columns: str = "object_id"
) -> tuple[str, list[Any]] | None:
    """The query of the ids of `kind` whose entry matches (None when nothing can), of
    the entries `scope` names if given; on PostgreSQL, of the entries' `columns`."""
    if connection.vendor == "postgresql":
        query = _tsquery(terms, kind)
        sql = (
            f"SELECT {columns} FROM search_searchentry "  # noqa: S608 - a constant
            "WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s"
        )
        if not query:
            return None
        if scope is None:
            return sql, [query, kind]
        narrow, params = scope.sql(kind)
        return f"{sql} AND {narrow}", [query, kind, *params]
    query = _fts5(terms, kind)
    if not query:
        return None
    table = fts_table(kind)
    sql = f"SELECT f.rowid FROM {table} AS f WHERE f.{table} MATCH %s"  # noqa: S608 - see fts_table
    if scope is None:
        return sql, [query]
    # The entry of each match, by the unique (kind, object_id): FTS5 walks its matches
    # newest first and the join keeps those in scope.
    narrow, params = scope.sql(kind, "e.")
    sql = (
        f"SELECT f.rowid FROM {table} AS f JOIN search_searchentry AS e "  # noqa: S608
        f"ON e.kind = %s AND e.object_id = f.rowid WHERE f.{table} MATCH %s AND {narrow}"
    )
    return sql, [kind, query, *params]


def matching_ids(kind: str, terms: Terms) -> RawSQL | list[int]:
    """All object ids of `kind` whose entry matches, as a subquery for `pk__in` (an empty
    list when nothing can match): for filtered or narrow-scope searches, where the
    database should combine the match with the other conditions itself."""
    match = _match(kind, terms)
    if match is None:
        return []
    return RawSQL(*match)  # noqa: S611 - bound parameters, constant SQL


def document_dossiers(
    ids: Sequence[int], known: Mapping[int, int] | None = None
) -> list[tuple[int, int]]:
    """(document id, dossier id) of the documents among `ids`: those in `known` (what
    their entries say, candidates_many: a document never changes dossiers), the others
    read in one plain query."""
    known = known or {}
    pairs = [(pk, known[pk]) for pk in ids if pk in known]
    rest = [pk for pk in ids if pk not in known]
    if not rest:
        return pairs
    from dangan.documents.models import Document

    table = connection.ops.quote_name(Document._meta.db_table)
    listed = bulk.id_list(rest)
    sql = f"SELECT id, dossier_id FROM {table} WHERE id IN ({listed.sql})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, listed.params)
        return pairs + [(row[0], row[1]) for row in cursor.fetchall()]


def _fts_replace(kind: str, rows: list[tuple[int, str, str, str]]) -> None:
    """SQLite: (re)write the FTS rows of some objects of one kind."""
    if connection.vendor != "sqlite" or not rows:
        return
    table = fts_table(kind)
    with connection.cursor() as cursor:
        # One statement for the whole batch (an import writes 2,000 rows at a time).
        listed = bulk.id_list([row[0] for row in rows])
        cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({listed.sql})", listed.params)  # noqa: S608 - see fts_table
        cursor.executemany(
            f"INSERT INTO {table} (rowid, name_tokens, id_tokens, text_tokens) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            [list(row) for row in rows],
        )


def write(kind: str, object_id: int, **row: Any) -> None:
    """Replace one object's entry (`row` as in write_many)."""
    with transaction.atomic():
        write_many(kind, {object_id: row})


def bulk_write(rows: list[SearchEntry]) -> None:
    """Insert many new entries at once (rebuild only: the index is empty)."""
    SearchEntry.objects.bulk_create(rows, batch_size=2000)


def finish_bulk() -> None:
    """After bulk_write: copy every entry into its kind's FTS5 table in one statement."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for kind in _COLUMNS:
                cursor.execute(
                    f"INSERT INTO {fts_table(kind)} (rowid, name_tokens, id_tokens, text_tokens) "  # noqa: S608
                    "SELECT object_id, name_tokens, id_tokens, text_tokens "
                    "FROM search_searchentry WHERE kind = %s ORDER BY object_id",
                    [kind],
                )


def delete(kind: str, object_id: int) -> None:
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {fts_table(kind)} WHERE rowid = %s",  # noqa: S608
                    [object_id],
                )
        SearchEntry.objects.filter(kind=kind, object_id=object_id).delete()


def clear() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for kind in _COLUMNS:
                cursor.execute(f"DELETE FROM {fts_table(kind)}")  # noqa: S608
    SearchEntry.objects.all().delete()


def write_many(kind: str, rows: dict[int, dict[str, Any]]) -> None:
    """Replace the entries of many objects of one kind: one delete, one insert (imports),
    as rows of values (no model instances: an import writes 2,000 at a time). A row
    holds the tokens ("names", "ids", "text") and whose record it is ("owner",
    "department", "dossier": SearchEntry.owner_id …)."""
    if not rows:
        return
    SearchEntry.objects.filter(kind=kind, object_id__in=bulk.id_list(list(rows))).delete()
    now = timezone.now()
    columns = (
        "kind", "object_id", "name_tokens", "id_tokens", "text_tokens", "updated_at",
        "owner_id", "department_id", "dossier_id",
    )  # fmt: skip
    values = [
        (
            kind,
            object_id,
            row["names"],
            row["ids"],
            row["text"],
            now,
            row["owner"],
            row["department"],
            row["dossier"],
        )
        for object_id, row in rows.items()
    ]
    bulk.insert_rows(SearchEntry, columns, values)
    _fts_replace(kind, [(v[1], v[2], v[3], v[4]) for v in values])
