"""Migration operations shared by the apps."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
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
