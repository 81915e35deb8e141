"""Use of the archive (issue 5, SPEC C4): the archivist lends and takes back paper
dossiers (circulation.lend) and manages use — revoking grants, keeping the register
(circulation.manage). Approvals need no permission code: approval chains name roles."""

from django.db import migrations

GRANTS = {"archivist": ["circulation.lend", "circulation.manage"]}


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
    dependencies = [("accounts", "0004_access_control_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
