"""Import and export (issue 6 §3–4): the archivist brings sheets in; the archivist, the
director and department managers may take lists out as Excel (within what they see)."""

from django.db import migrations

GRANTS = {
    "archivist": ["data.import", "data.export"],
    "director": ["data.export"],
    "dept_manager": ["data.export"],
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
    dependencies = [("accounts", "0007_intake_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
