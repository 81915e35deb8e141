# An account manager's customers, newest first, without sorting them all (customers.models).

from django.db import migrations, models


def analyse(apps, schema_editor):
    """SQLite: count the new index in full at once. An index without statistics is taken
    to hold 10 rows per value: the planner then read an account manager's search
    candidates (an id list) by walking all of their customers through it, 0.4-1.3 s at
    300,000 customers, until the next refresh_statistics (core.bulk)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")
        cursor.execute('ANALYZE "customer_owner_newest"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_drop_pattern_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "created_at", "id"], name="customer_owner_newest"),
        ),
        migrations.RunPython(analyse, migrations.RunPython.noop),
    ]
