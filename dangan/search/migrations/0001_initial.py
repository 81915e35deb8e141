from __future__ import annotations

from typing import Any

from django.db import migrations, models

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "name_tokens, id_tokens, text_tokens, tokenize='unicode61', prefix='2 3 4')"
)
PG_CREATE = (
    "ALTER TABLE search_searchentry ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', name_tokens), 'A') || "
    "setweight(to_tsvector('simple', id_tokens), 'B') || "
    "setweight(to_tsvector('simple', text_tokens), 'C')) STORED",
    "CREATE INDEX search_entry_tsv ON search_searchentry USING gin (tsv)",
)


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in PG_CREATE:
            schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("customer", "客户"), ("dossier", "档案"), ("document", "文件")],
                        max_length=10,
                    ),
                ),
                ("object_id", models.BigIntegerField()),
                ("name_tokens", models.TextField(blank=True)),
                ("id_tokens", models.TextField(blank=True)),
                ("text_tokens", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"verbose_name": "检索索引", "verbose_name_plural": "检索索引"},
        ),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(
                fields=("kind", "object_id"), name="search_entry_unique"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
