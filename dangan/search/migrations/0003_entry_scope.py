"""Whose record each entry is: owner, department and dossier (models.SearchEntry).

A search by an account manager reads the newest matches of everyone's records and keeps
their own. Where those held too few of theirs, it read five times further down through
everyone's; with the owner and department in the entry, it reads further down through
theirs (the policy still checks every one). A document's dossier comes with it too.

The columns are added empty (no rewrite of a large index: existing entries are treated
as anyone's until `dangan search rebuild`). A trigger keeps them current whenever a
customer changes hands, in the same transaction, for the customer's own entry and those
of its dossiers and documents: whatever code makes the change (a handover, an import,
an edit), an entry never names a former owner."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# The entries of one customer (NEW) and of its dossiers and documents, by kind.
_ENTRIES = {
    "customer": "object_id = NEW.id",
    "dossier": "object_id IN (SELECT id FROM archives_dossier WHERE customer_id = NEW.id)",
    "document": (
        "object_id IN (SELECT d.id FROM documents_document d "
        "JOIN archives_dossier s ON s.id = d.dossier_id WHERE s.customer_id = NEW.id)"
    ),
}
_SET = "UPDATE search_searchentry SET owner_id = NEW.owner_id, department_id = NEW.department_id"
_UPDATES = "".join(f"{_SET} WHERE kind = '{kind}' AND {where}; " for kind, where in _ENTRIES.items())

PG_FORWARDS = (
    "CREATE OR REPLACE FUNCTION search_entry_follow_owner() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN {_UPDATES}RETURN NULL; END $$",
    "CREATE TRIGGER search_entry_follow_owner "
    "AFTER UPDATE OF owner_id, department_id ON customers_customer FOR EACH ROW "
    "WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id "
    "OR OLD.department_id IS DISTINCT FROM NEW.department_id) "
    "EXECUTE FUNCTION search_entry_follow_owner()",
)
PG_BACKWARDS = (
    "DROP TRIGGER IF EXISTS search_entry_follow_owner ON customers_customer",
    "DROP FUNCTION IF EXISTS search_entry_follow_owner()",
)
SQLITE_FORWARDS = (
    "CREATE TRIGGER search_entry_follow_owner "
    "AFTER UPDATE OF owner_id, department_id ON customers_customer FOR EACH ROW "
    "WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.department_id IS NOT NEW.department_id "
    f"BEGIN {_UPDATES}END",
)
SQLITE_BACKWARDS = ("DROP TRIGGER IF EXISTS search_entry_follow_owner",)


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": PG_FORWARDS, "sqlite": SQLITE_FORWARDS}.get(vendor, ()):
        schema_editor.execute(statement, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": PG_BACKWARDS, "sqlite": SQLITE_BACKWARDS}.get(vendor, ()):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_fts_per_kind"),
        ("customers", "0006_drop_pattern_indexes"),
        ("archives", "0003_drop_pattern_indexes"),
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="owner_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="department_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="dossier_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
