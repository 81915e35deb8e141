"""The archive room keeps the company's rules (issue 27 §5): the archivist edits archive
types and approval rules (archive_type.manage) by default, besides the system
administrator."""

from django.db import migrations

GRANTS = {"archivist": ["archive_type.manage"]}


def forwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.permissions = sorted(set(role.permissions) | set(added))
        role.save(update_fields=["permissions"])


def backwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.permissions = [p for p in role.permissions if p not in added]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0011_dossier_discover")]

    operations = [migrations.RunPython(forwards, backwards)]
