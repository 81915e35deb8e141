"""The dossier's lifecycle (issue 23 §1): the archivist marks terminated and moved-out
files, freezes and releases them, and sends them to appraisal and disposal; a department
manager may mark the department's files terminated or moved out. Written out here so the
migration keeps doing the same thing when the code's defaults change."""

from django.db import migrations

GRANTS = {
    "archivist": ["dossier.status", "dossier.legal_hold", "dossier.appraise", "dossier.dispose"],
    "dept_manager": ["dossier.status"],
}


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
    dependencies = [("accounts", "0008_import_export_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
