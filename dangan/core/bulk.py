"""Inserting many rows fast, for the bulk services (imports).

`QuerySet.bulk_create` runs every value through the ORM's per-value preparation, which
for a 30-column model costs more than validating, encrypting and hashing the row
together. `insert` does what bulk_create does for plain new rows — pre_save for
auto_now(_add) fields, database preparation, multi-row INSERT … RETURNING the primary
keys — but prepares values per column kind once, and passes plain text, numbers and
foreign keys straight through. Anything else goes through the field's own
get_db_prep_save, so dates, decimals and JSON are stored exactly as bulk_create would.
`insert_rows` is the same for rows of values, for callers that need no instances (the
audit trail writes one entry per imported row), and `new` builds the instances that are
needed at half the cost of Model.__init__ with keywords.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import RawSQL

_M = TypeVar("_M", bound=models.Model)
_PLAIN = (
    models.CharField,
    models.TextField,
    models.EmailField,
    models.BigIntegerField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BooleanField,
)


def _converter(
    field: models.Field[Any, Any], db: BaseDatabaseWrapper
) -> Callable[[Any], Any] | None:
    """None when values go to the driver as they are."""
    if type(field) in _PLAIN:
        return None
    if isinstance(field, models.ForeignKey) and type(field.target_field) in (
        models.AutoField,
        models.BigAutoField,
        models.BigIntegerField,
        models.IntegerField,
    ):
        return None

    if isinstance(field, models.DateField):  # DateTimeField too
        # Dates repeat (one timestamp per batch, few birth dates): convert each once.
        seen: dict[Any, Any] = {}

        def prepare_date(value: Any) -> Any:
            if value not in seen:
                seen[value] = field.get_db_prep_save(value, db)
            return seen[value]

        return prepare_date

    def prepare(value: Any) -> Any:
        # None is NULL for every built-in field (JSONField included: JSON null would
        # need Value(None)); most optional decimals of an import are empty.
        if value is None:
            return None
        return field.get_db_prep_save(value, db)

    return prepare


def new(model: type[_M], **values: Any) -> _M:
    """`model(**values)` for bulk services, at half the cost (a 30-column customer: 7 µs
    instead of 15): Model.__init__ is three times faster given every value in field
    order than given keywords. A related object given by field name (owner=user) is
    cached on the instance, as the keyword form does; other fields get their defaults."""
    layout = _layout(model)
    related = []
    for name in layout.relations.keys() & values.keys():
        field = layout.relations[name]
        obj = values.pop(name)
        values[field.attname] = None if obj is None else getattr(obj, field.target_field.attname)
        if obj is not None:
            related.append((field, obj))
    args = [values.pop(name, default) for name, default in layout.defaults]
    if values:
        raise TypeError(f"{model.__name__}() got unexpected fields {sorted(values)}")
    for i, column in layout.factories:
        if args[i] is _PER_INSTANCE:
            args[i] = column.get_default()
    instance = model(*args)
    for relation, obj in related:
        relation.set_cached_value(instance, obj)
    return instance


_PER_INSTANCE = object()  # stands for a default made anew for each instance


@dataclass(frozen=True)
class _Layout:
    defaults: list[tuple[str, Any]]  # every column by attribute name, with its default
    factories: list[tuple[int, models.Field[Any, Any]]]  # the columns of callable defaults
    relations: dict[str, models.ForeignKey[Any, Any]]  # foreign keys by field name


@functools.cache
def _layout(model: type[models.Model]) -> _Layout:
    fields = model._meta.concrete_fields
    made = {i for i, f in enumerate(fields) if f.has_default() and callable(f.default)}
    return _Layout(
        defaults=[
            (f.attname, _PER_INSTANCE if i in made else f.get_default())
            for i, f in enumerate(fields)
        ],
        factories=[(i, fields[i]) for i in sorted(made)],
        relations={f.name: f for f in fields if isinstance(f, models.ForeignKey)},
    )


def _rows_per_statement(columns: int) -> int:
    limit = 65535 if connection.vendor == "postgresql" else 999
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(1000, (limit - 1) // columns))


def insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT new, unsaved `objs` of `model` and set their primary keys."""
    if not objs:
        return
    meta = model._meta
    pk = meta.pk
    if pk is None:
        raise TypeError(f"{model.__name__} has no primary key")
    fields = [f for f in meta.concrete_fields if f is not pk]
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for f in stamped:
        # One timestamp for the whole batch, as one INSERT would have it.
        now = f.pre_save(objs[0], add=True)
        for obj in objs[1:]:
            setattr(obj, f.attname, now)
    attnames = [f.attname for f in fields]
    values = operator.itemgetter(*attnames)  # a model has more than one column
    keys = insert_rows(model, attnames, [values(obj.__dict__) for obj in objs])
    for obj, key in zip(objs, keys, strict=True):
        setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias


# PostgreSQL: fewer rows go in as one INSERT … RETURNING (one round trip; COPY takes two,
# the keys first): the audit entry of a search or of a single change is one row.
COPY_FROM = 50


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    also: tuple[str, list[Any]] | None = None,
) -> list[Any]:
    """INSERT rows given as values, in the order of `fields` (attribute names: actor_id,
    not actor), which must be every column but the primary key; return the new primary
    keys in row order. For bulk services that need no model instances.

    `also`: one more data-modifying statement (an UPDATE, with its parameters) that must
    happen with the insert. On PostgreSQL a single INSERT takes it as its WITH clause,
    so both are one round trip (the audit trail's head, with every audited action);
    otherwise it runs after the rows are in."""
    meta = model._meta
    pk = meta.pk
    if pk is None:
        raise TypeError(f"{model.__name__} has no primary key")
    by_attname = {f.attname: f for f in meta.concrete_fields if f is not pk}
    if sorted(fields) != sorted(by_attname):
        raise TypeError(f"{model.__name__}: the columns are {sorted(by_attname)}")
    columns = [by_attname[name] for name in fields]
    # The connection itself, not the `connection` proxy, which looks it up again on every
    # attribute the fields' preparation reads (a few per value).
    db = connections[DEFAULT_DB_ALIAS]
    converters = [
        (i, convert) for i, f in enumerate(columns) if (convert := _converter(f, db)) is not None
    ]
    if converters:
        prepared: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for i, convert in converters:
                values[i] = convert(values[i])
            prepared.append(values)
        rows = prepared
    if not rows:
        keys: list[Any] = []
    elif connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        keys = _copy(meta.db_table, str(pk.column), [str(f.column) for f in columns], rows)
    else:
        keys, also = _insert(
            meta.db_table, str(pk.column), [str(f.column) for f in columns], rows, also
        )
    if also is not None:
        with connection.cursor() as cursor:
            cursor.execute(*also)
    return keys


def _insert(
    table: str,
    pk: str,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    also: tuple[str, list[Any]] | None,
) -> tuple[list[Any], tuple[str, list[Any]] | None]:
    """INSERT … RETURNING in statements of as many rows as the database takes; the keys,
    and `also` unless it went with the only statement (PostgreSQL: its WITH clause)."""
    quote = connection.ops.quote_name
    # Table and column names come from the model, quoted; values are all parameters.
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608
        quote(table), ", ".join(quote(name) for name in columns)
    )
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    step = _rows_per_statement(len(columns))
    keys: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            params = [value for row in chunk for value in row]
            sql = head + ", ".join([one] * len(chunk)) + f" RETURNING {quote(pk)}"
            if also is not None and len(rows) <= step and connection.vendor == "postgresql":
                sql = f"WITH also AS ({also[0]}) {sql}"
                params = [*also[1], *params]
                also = None
            cursor.execute(sql, params)
            # Keys are handed out in VALUES order, ascending within one statement on both
            # databases; RETURNING's own row order is not promised, so sort.
            keys += sorted(row[0] for row in cursor.fetchall())
    return keys, also


def _copy(table: str, pk: str, columns: list[str], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """PostgreSQL: COPY the rows in, their primary keys drawn from the table's sequence
    first (ascending, in row order, as one INSERT would give them). A thousand-row INSERT
    has tens of thousands of placeholders, which psycopg parses in Python for every
    statement (it caches only short ones): that was a quarter of an import's time. COPY
    has none, takes the same prepared values, and the server reads it faster too."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, len(rows)],
        )
        keys = sorted(row[0] for row in cursor.fetchall())
        names = ", ".join(quote(name) for name in [pk, *columns])
        # The driver's own cursor: its errors become Django's (IntegrityError) here, as
        # they do for execute().
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for key, row in zip(keys, rows, strict=True):
                copy.write_row((key, *row))
    return keys


def id_list(ids: Sequence[int]) -> RawSQL:
    """A list of ids as one bound parameter, for `pk__in=`: the ORM prepares every value
    of a plain list on its own (milliseconds for a thousand ids) and SQLite limits the
    number of parameters; this compiles to one."""
    return _listed([int(i) for i in ids], "bigint")


def text_list(values: Sequence[str]) -> RawSQL:
    """id_list for texts (`field__in=`): an import batch looks up thousands of ID hashes at
    once, and psycopg splits a statement with thousands of placeholders in Python on
    every execution."""
    return _listed([str(v) for v in values], "text")


def _listed(values: list[Any], sql_type: Literal["bigint", "text"]) -> RawSQL:
    if connection.vendor == "postgresql":
        # One array literal, a text cast on the server: psycopg's client-side binding
        # quotes a Python list element by element (0.3 ms for 250 ids, and a search
        # sends several lists).
        literal = _array_literal(values) if sql_type == "text" else _int_array(values)
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [literal])  # noqa: S611 - a constant
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


def _int_array(values: list[int]) -> str:
    """PostgreSQL's array literal of integers: {1,2,3}."""
    return "{" + ",".join(map(str, values)) + "}"


def _array_literal(values: list[str]) -> str:
    """PostgreSQL's array literal of texts, each element quoted ("…", with backslash
    escapes), so that commas, braces, quotes, NULL and the empty text stay themselves."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


@contextlib.contextmanager
def _sqlite_pragma(name: str, value: int) -> Iterator[bool]:
    """Set a SQLite PRAGMA on this connection for the block, then put the old value back;
    yields whether it did (False on PostgreSQL, which has none of these)."""
    if connection.vendor != "sqlite":
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {before}")


@contextlib.contextmanager
def page_cache(mib: int = 256) -> Iterator[None]:
    """SQLite: a page cache of `mib` MiB on this connection for the block (large writes:
    an import batch). Each row puts random keys into several indexes (the keyed ID
    hashes, the audit chain's hashes), so a batch dirties pages all over them; pages
    spilled from a full cache before the commit are written twice. Importing 100,000
    customers took a fifth less time than with SQLite's default 2 MB, 3% less than with
    the 64 MiB settings.py now gives every connection; the larger the tables, the more it
    counts. The cache grows only as pages are used. PostgreSQL: nothing (its buffers
    are the server's)."""
    with _sqlite_pragma("cache_size", -int(mib) * 1024):
        yield


@contextlib.contextmanager
def deferred_checkpoints() -> Iterator[None]:
    """SQLite: no automatic WAL checkpoints on this connection during the block, one at
    its end (large writes: an import). SQLite copies the write-ahead log back into the
    database whenever a commit leaves it over 1,000 pages (4 MiB), and every 2,000-row
    import batch does: a checkpoint per batch, syncing the database file each time.
    PostgreSQL: nothing."""
    with _sqlite_pragma("wal_autocheckpoint", 0) as sqlite:
        yield
    # A checkpoint cannot run inside a transaction. PASSIVE: it copies what it can
    # without waiting for readers; the rest goes with the next automatic checkpoint.
    if sqlite and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def needs_statistics() -> bool:
    """Whether large writes should be followed by refresh_statistics. SQLite: yes, it
    never gathers statistics by itself. PostgreSQL: no, autovacuum analyses a table
    once a tenth of it has changed, and the planner reads the tables' real sizes
    meanwhile; an ANALYZE of every table after an import cost the import a fifth of its
    time at 10,000 rows."""
    return connection.vendor == "sqlite"


def refresh_statistics() -> None:
    """Give the query planner current table statistics after large writes (init, an
    import, an index rebuild). Without them SQLite guesses, and at a million customers
    it guesses wrong: "owner = me AND id_number_lookup = …" walked every customer of the
    owner. analysis_limit samples each index, so this takes seconds even on a 16 GB
    database. PostgreSQL's autovacuum keeps its own statistics; ANALYZE there is cheap."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA analysis_limit=0")
            for name in _scope_indexes(cursor):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def _scope_indexes(cursor: Any) -> list[str]:
    """SQLite: the indexes of customers that start with the policy's scope columns (owner,
    department), to be analysed in full. A sample of analysis_limit rows sees about a
    thousand customers per account manager where there are 37,500 (at 300,000
    customers); believing that, the planner read an account manager's search candidates
    (an id list) by walking all of their customers: 0.4-1.3 s instead of 10 ms. Counted
    in full, the three indexes take 0.2 s at 300,000 customers."""
    from dangan.customers.models import Customer

    table = Customer._meta.db_table
    columns = {Customer.owner.field.column, Customer.department.field.column}
    found = connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, info in found.items()
        if info.get("index") and info.get("columns") and info["columns"][0] in columns
    )
