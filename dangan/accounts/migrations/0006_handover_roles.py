"""Hand-overs (issue 4 §1): who sends batches, who receives them for a department, and
who manages hand-overs and an employee's departure."""

from django.db import migrations

GRANTS = {
    "archivist": ["handover.send", "handover.receive", "handover.manage"],
    "account_manager": ["handover.send"],
    "dept_manager": ["handover.send", "handover.receive", "handover.manage"],
    "director": ["handover.send", "handover.receive", "handover.manage"],
    "customer_service": ["handover.send", "handover.receive"],
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
    dependencies = [("accounts", "0005_circulation_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
