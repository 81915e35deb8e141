"""Credit data belongs to finance (issue 29; seed 001): finance sets a customer's credit
rating and credit limit, nobody else (an account manager may not raise his own
customer's)."""

from django.db import migrations

GRANTS = {"finance": ["customer.credit"]}


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
    dependencies = [("accounts", "0009_lifecycle_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
