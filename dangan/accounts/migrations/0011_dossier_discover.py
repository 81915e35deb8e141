"""Discoverable, not readable (issue 27 §1): every role that may file a request for a
dossier — each role with customer data, business staff included — may learn that a
dossier matching an archive number, an exact name or an ID number exists (its type,
archive number and owning department) and ask for it. Roles are data: the permission is
taken away from a role on the roles page."""

from django.db import migrations

CODE = "dossier.discover"


def forwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.exclude(scope="none"):
        role.permissions = sorted(set(role.permissions) | {CODE})
        role.save(update_fields=["permissions"])


def backwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        role.permissions = [p for p in role.permissions if p != CODE]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_finance_credit")]

    operations = [migrations.RunPython(forwards, backwards)]
