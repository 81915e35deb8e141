"""Access control defaults (issue: access control): clearances, field-limited business
staff, masking by default with audited unmasking, and the security administrator role
that completes the three-officer separation (三员分立)."""

from django.db import migrations

CLEARANCE = {
    "archivist": "confidential",
    "account_manager": "secret",
    "dept_manager": "confidential",
    "director": "top_secret",
    "customer_service": "secret",
    "business_staff": "normal",
    "finance": "secret",
    "auditor": "normal",
    "sysadmin": "normal",
}
# STANDARDS 33: identity numbers and phones are masked by default; a role that needs
# them reveals a value on purpose, and the reveal is audited.
UNMASK = {"archivist", "director", "customer_service", "dept_manager"}


def forwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        role.clearance = CLEARANCE.get(role.code, "normal")
        perms = [p for p in role.permissions if p != "customer.view_identity"]
        if role.code in UNMASK:
            perms.append("customer.unmask")
        if role.code == "auditor":
            perms.append("audit.export")
        if role.code == "sysadmin":
            perms.append("user.tokens")
        if role.code == "business_staff":
            role.scope = "all"
            role.field_limited = True
            perms = ["customer.view"]
        role.permissions = sorted(set(perms))
        role.save()
    Role.objects.update_or_create(
        code="security_admin",
        defaults={
            "name": "安全管理员",
            "scope": "none",
            "clearance": "normal",
            "permissions": ["role.manage", "security.manage"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_access_control")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
