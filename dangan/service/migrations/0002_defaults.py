"""Shipped ticket categories (the company edits them) and who may keep service records
(SPEC §1: customer service handles complaints and repairs; account managers and
department managers keep their customers' contact logs; finance reads transactions)."""

from django.db import migrations

CATEGORIES = [
    # code, name, working days to handle, return visit needed before closing
    ("complaint", "投诉", 2, True),
    ("repair", "报修", 3, False),
    ("request", "报事", 2, False),
    ("consult", "咨询", 1, False),
    ("praise", "表扬/建议", 5, False),
]

GRANTS = {
    "customer_service": ["service.view", "service.record", "notice.send"],
    "account_manager": ["service.view", "service.record"],
    "dept_manager": ["service.view", "service.record", "notice.send"],
    "director": ["service.view", "notice.send"],
    "archivist": ["service.view"],
    "finance": ["service.view"],
}


def forwards(apps, schema_editor):
    TicketCategory = apps.get_model("service", "TicketCategory")
    for position, (code, name, days, visit) in enumerate(CATEGORIES, start=1):
        TicketCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "deadline_days": days,
                "visit_required": visit,
                "position": position,
            },
        )
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
    dependencies = [("service", "0001_initial"), ("accounts", "0008_import_export_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
