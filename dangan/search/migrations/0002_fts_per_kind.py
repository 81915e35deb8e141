"""One full-text index per kind.

A single index over customers, dossiers and documents made a search of customers or
dossiers walk through every document entry that held a common word (seconds at 10
million documents). SQLite: one FTS5 table per kind whose rowid is the object's id
(documents match on words only, so their table has no prefix indexes). PostgreSQL: one
partial GIN index per kind. Existing entries are copied; nothing is re-segmented."""

from __future__ import annotations

from typing import Any

from django.db import migrations

_FTS = {
    "customer": "prefix='2 3 4'",
    "dossier": "prefix='2 3 4'",
    "document": "",
}


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for kind, prefix in _FTS.items():
            options = f", {prefix}" if prefix else ""
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_{kind} USING fts5("
                f"name_tokens, id_tokens, text_tokens, tokenize='unicode61'{options})"
            )
            schema_editor.execute(
                f"INSERT INTO search_fts_{kind} (rowid, name_tokens, id_tokens, text_tokens) "
                "SELECT object_id, name_tokens, id_tokens, text_tokens FROM search_searchentry "
                f"WHERE kind = '{kind}' ORDER BY object_id"
            )
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    elif vendor == "postgresql":
        for kind in _FTS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS search_entry_tsv_{kind} ON search_searchentry "
                f"USING gin (tsv) WHERE kind = '{kind}'"
            )
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_tsv")


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "name_tokens, id_tokens, text_tokens, tokenize='unicode61', prefix='2 3 4')"
        )
        schema_editor.execute(
            "INSERT INTO search_fts (rowid, name_tokens, id_tokens, text_tokens) "
            "SELECT id, name_tokens, id_tokens, text_tokens FROM search_searchentry"
        )
        for kind in _FTS:
            schema_editor.execute(f"DROP TABLE IF EXISTS search_fts_{kind}")
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_entry_tsv ON search_searchentry USING gin (tsv)"
        )
        for kind in _FTS:
            schema_editor.execute(f"DROP INDEX IF EXISTS search_entry_tsv_{kind}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
