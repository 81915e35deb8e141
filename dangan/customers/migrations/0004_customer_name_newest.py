"""Customers' names are indexed with the id ("named 王伟, newest first"), instead of alone.

The field loses db_index in the model's state; in the database the single-column index
(and PostgreSQL's varchar_pattern_ops twin, which no query used) is dropped by name, not
by AlterField: on SQLite AlterField copies the whole table (48 s at 1,000,000 customers),
where dropping an index takes milliseconds.
"""

from typing import Any

from django.db import migrations, models


def _plain_name_indexes(schema_editor: Any, model: Any) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(
            cursor, model._meta.db_table
        )
    return [
        name
        for name, info in found.items()
        if info["columns"] == ["name"]
        and info["index"]
        and not info["unique"]
        and not info["primary_key"]
    ]


def drop_name_indexes(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("customers", "Customer")
    for name in _plain_name_indexes(schema_editor, model):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_name_indexes(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("customers", "Customer")
    field = models.CharField(max_length=100, db_index=True)
    field.set_attributes_from_name("name")
    field.model = model
    for sql in schema_editor._field_indexes_sql(model, field):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_backfill_id_last5_lookup"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name", "id"], name="customer_name_newest"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="name",
                    field=models.CharField(max_length=100, verbose_name="名称"),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_name_indexes, create_name_indexes),
            ],
        ),
    ]
