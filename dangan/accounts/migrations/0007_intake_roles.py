"""Rule checks and penalties (issue 4 §2–4): who runs the checks (稽核) and records what a
document shows, who reads the monthly statement, who fixes the month's fines, and who
keeps the working-day calendar. Approving a 情况说明 needs no code: the chain names roles."""

from django.db import migrations

GRANTS = {
    "archivist": ["intake.audit", "intake.statement", "intake.assess", "intake.calendar"],
    "account_manager": ["intake.audit"],
    "dept_manager": ["intake.audit", "intake.statement"],
    "director": ["intake.audit", "intake.statement", "intake.assess", "intake.calendar"],
    "customer_service": ["intake.audit", "intake.statement"],
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
    dependencies = [("accounts", "0006_handover_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
