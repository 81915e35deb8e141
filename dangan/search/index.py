"""The backend-specific part of the index: SQLite FTS5 or a PostgreSQL tsvector + GIN.

Both see the same pre-segmented tokens (segment.py). A query is a set of terms per column:
names (prefix terms, so any part of a name matches the suffix tokens), identifiers (OR),
and words of titles/texts (AND). Terms contain only [0-9a-z] and CJK characters, and the
query string is passed as a bound parameter, so user input never becomes SQL or FTS syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models.expressions import RawSQL

from dangan.core import bulk
from dangan.search.models import SearchEntry


@dataclass
class Terms:
    names: list[str] = field(default_factory=list)  # prefix terms, OR
    ids: list[tuple[str, bool]] = field(default_factory=list)  # (term, prefix), OR
    words: list[str] = field(default_factory=list)  # exact words, AND

    def __bool__(self) -> bool:
        return bool(self.names or self.ids or self.words)


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
    columns = _COLUMNS.get(kind or "", _ALL_COLUMNS)
    parts = [f"{t}:*A" for t in terms.names] if "names" in columns else []
    if "ids" in columns:
        parts += [f"{t}:*B" if prefix else f"{t}:B" for t, prefix in terms.ids]
    if terms.words and "words" in columns:
        parts.append("(" + " & ".join(f"{t}:C" for t in terms.words) + ")")
    return " | ".join(parts)


def candidates(kind: str, terms: Terms, limit: int) -> list[int]:
    """Up to `limit` object ids of `kind` whose entry matches, most recently indexed
    first on SQLite (FTS5 walks its rowids backwards and stops at the limit), in index
    order on PostgreSQL (the bitmap scan stops at the limit). The caller filters them
    through the policy layer; a full list means there may be more."""
    if connection.vendor == "postgresql":
        query = _tsquery(terms, kind)
        if not query:
            return []
        sql = (
            "SELECT object_id FROM search_searchentry "
            "WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s LIMIT %s"
        )
    else:
        query = _fts5(terms, kind)
        if not query:
            return []
        sql = (
            "SELECT e.object_id FROM search_fts f CROSS JOIN search_searchentry e "
            "ON e.id = f.rowid WHERE search_fts MATCH %s AND e.kind = %s "
            "ORDER BY f.rowid DESC LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, kind, limit])
        return [row[0] for row in cursor.fetchall()]


def matching_ids(kind: str, terms: Terms) -> RawSQL | list[int]:
    """All object ids of `kind` whose entry matches, as a subquery for `pk__in` (an empty
    list when nothing can match): for filtered or narrow-scope searches, where the
    database should combine the match with the other conditions itself."""
    if connection.vendor == "postgresql":
        query = _tsquery(terms, kind)
        sql = (
            "SELECT object_id FROM search_searchentry "
            "WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s"
        )
    else:
        query = _fts5(terms, kind)
        sql = (
            "SELECT e.object_id FROM search_fts f CROSS JOIN search_searchentry e "
            "ON e.id = f.rowid WHERE search_fts MATCH %s AND e.kind = %s"
        )
    if not query:
        return []
    return RawSQL(sql, [query, kind])  # noqa: S611 - bound parameters, constant SQL


def write(kind: str, object_id: int, *, names: str, ids: str, text: str) -> None:
    entry, _created = SearchEntry.objects.update_or_create(
        kind=kind,
        object_id=object_id,
        defaults={"name_tokens": names, "id_tokens": ids, "text_tokens": text},
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [entry.pk])
            cursor.execute(
                "INSERT INTO search_fts (rowid, name_tokens, id_tokens, text_tokens) "
                "VALUES (%s, %s, %s, %s)",
                [entry.pk, names, ids, text],
            )


def bulk_write(rows: list[SearchEntry]) -> None:
    """Insert many new entries at once (rebuild only: the index is empty)."""
    SearchEntry.objects.bulk_create(rows, batch_size=2000)


def finish_bulk() -> None:
    """After bulk_write: copy every entry into the FTS5 table in one statement."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_fts (rowid, name_tokens, id_tokens, text_tokens) "
                "SELECT id, name_tokens, id_tokens, text_tokens FROM search_searchentry"
            )


def delete(kind: str, object_id: int) -> None:
    for pk in SearchEntry.objects.filter(kind=kind, object_id=object_id).values_list(
        "pk", flat=True
    ):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [pk])
    SearchEntry.objects.filter(kind=kind, object_id=object_id).delete()


def clear() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
    SearchEntry.objects.all().delete()


def write_many(kind: str, rows: dict[int, dict[str, str]]) -> None:
    """Replace the entries of many objects of one kind: one delete, one insert (imports)."""
    if not rows:
        return
    ids = list(rows)
    old = list(
        SearchEntry.objects.filter(kind=kind, object_id__in=ids).values_list("pk", flat=True)
    )
    if old:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [[pk] for pk in old])
        SearchEntry.objects.filter(pk__in=old).delete()
    entries = [
        SearchEntry(
            kind=kind,
            object_id=object_id,
            name_tokens=row["names"],
            id_tokens=row["ids"],
            text_tokens=row["text"],
        )
        for object_id, row in rows.items()
    ]
    bulk.insert(SearchEntry, entries)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_fts (rowid, name_tokens, id_tokens, text_tokens) "
                "VALUES (%s, %s, %s, %s)",
                [[e.pk, e.name_tokens, e.id_tokens, e.text_tokens] for e in entries],
            )
