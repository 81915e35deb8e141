"""Migration operations shared by the apps."""

from __future__ import annotations

import re

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import StateApps

# The pattern index Django adds beside the plain one, on PostgreSQL only.
_PATTERN_INDEXES = """
    SELECT i.relname
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
      JOIN pg_opclass o ON o.oid = x.indclass[0]
     WHERE t.relname = %s AND a.attname = %s AND x.indnatts = 1
       AND pg_table_is_visible(t.oid)
       AND o.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')
"""


def drop_pattern_indexes(table: str, columns: list[str]) -> migrations.RunPython:
    """On PostgreSQL, drop the `varchar_pattern_ops` index Django creates beside the plain
    one for every indexed or unique CharField (it serves `LIKE 'abc%'` only). Columns
    that are only ever compared whole (keyed hashes, codes, numbers) pay for it on every
    insert: each is one more index entry per row, and for random keys (the hashes) one
    more random page written. SQLite has no such indexes; there this does nothing.

    The field keeps db_index/unique (the plain index stays): a later AlterField that
    changes such a column's type makes Django create the pattern index again, and a
    migration must then drop it again."""

    def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            for column in columns:
                cursor.execute(_PATTERN_INDEXES, [table, column])
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")

    def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for column in columns:
            # The name Django gives it (postgresql/schema.py _create_like_index_sql).
            name = schema_editor._create_index_name(table, [column], suffix="_like")  # type: ignore[attr-defined]
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(name)} "
                f"ON {quote(table)} ({quote(column)} varchar_pattern_ops)"
            )

    return migrations.RunPython(forwards, backwards, elidable=False)


def _names_table(sql: str, tables: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(table)}\b", sql) for table in tables)


def sqlite_triggers_suspended(tables: tuple[str, ...], *operations: Operation) -> list[Operation]:
    """These operations, with the SQLite triggers of other tables whose body names one of
    `tables` dropped before them and created again, as they were, after them.

    SQLite changes a column (nullability, a default, a check constraint) by building the
    table anew and renaming it into place. Between the DROP of the old table and the
    RENAME of the new one, SQLite checks every trigger of the schema, and one whose body
    reads the table being rebuilt fails it: "error in trigger search_entry_follow_owner:
    no such table: main.archives_dossier" (search/0003_entry_scope, whose trigger on
    customers_customer updates the entries of the customer's dossiers and documents).
    A fresh database does not see it when the trigger comes later in its plan; every
    database made before the rebuild does.

    The triggers are read back from sqlite_master, so whatever version of them the
    database holds is what comes back, and a trigger not there yet (a fresh database)
    is not made early. On PostgreSQL (no rebuilds) the extra steps do nothing. Migrations
    are atomic on SQLite: a failure between the steps leaves the triggers as they were."""

    def suspend(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            )
            found = [
                (name, sql)
                for name, on, sql in cursor.fetchall()
                if on not in tables and _names_table(sql, tables)
            ]
        stash = _suspended(schema_editor)
        for name, sql in found:
            schema_editor.execute(f"DROP TRIGGER {schema_editor.quote_name(name)}", params=None)
            stash.append(sql)

    def restore(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        stash = _suspended(schema_editor)
        while stash:
            schema_editor.execute(stash.pop(0), params=None)

    return [
        migrations.RunPython(suspend, restore, elidable=False),
        *operations,
        migrations.RunPython(restore, suspend, elidable=False),
    ]


def _suspended(schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
    """The triggers sqlite_triggers_suspended() dropped, kept on the migration's schema
    editor (one per migration, forwards or backwards) until its operations are done."""
    stash: list[str] | None = getattr(schema_editor, "_dangan_suspended_triggers", None)
    if stash is None:
        stash = []
        schema_editor._dangan_suspended_triggers = stash  # type: ignore[attr-defined]
    return stash
