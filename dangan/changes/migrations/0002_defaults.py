"""Defaults of change control (issue 23), as data edited later without code:

- the approval chain of a change of a filed record (kind `change`, run by the one engine,
  circulation.approvals): the department manager of the dossier's keeping department
  (its customer's; seed 003 五.2 修改须销售部经理同意), escalated after 48 hours;
- the change control of the seven industry templates, for databases whose types were
  loaded before it existed (a type that already has one keeps it).

Written out here (not imported) so that this migration keeps doing the same thing when
the templates change later.
"""

from django.db import migrations

RULE = {
    "name": "修改已归档记录:客户所属部门经理同意",
    "priority": 100,
    "kind": "change",
    "steps": [{"role": "dept_manager", "department": "customer"}],
}

_PREFS = [
    "visit_reason", "room_type_pref", "toiletries_pref", "pillow_pref", "mattress_pref",
    "reading_pref", "entertainment_pref", "diet_pref", "beverage_pref", "lighting_pref",
    "ac_temp_pref", "bath_temp_pref", "hygiene_pref", "other_pref", "care_dates",
]
CONTROL = {
    "RE-SALE": {"default": "reason", "customer_default": "reason",
                "fields": {"location": "free"}},
    "PROPERTY": {"default": "reason", "customer_default": "reason",
                 "fields": {"location": "free", "fields.plate_no": "reason",
                            "fields.parking_space": "reason", "customer.mobile": "reason",
                            "customer.phone": "reason", "customer.remarks": "free"}},
    "CAR-SALE": {"default": "approval", "customer_default": "reason",
                 "fields": {"title": "reason", "location": "free", "customer.remarks": "free"}},
    "CAR-SERVICE": {"default": "reason", "customer_default": "reason",
                    "fields": {"location": "free", "fields.vin": "approval",
                               "fields.contact_person": "free",
                               "fields.contact_mobile": "reason"}},
    "HOTEL-GUEST": {"default": "approval", "customer_default": "reason",
                    "fields": {"title": "reason", "location": "free", "customer.remarks": "free",
                               **{f"fields.{key}": "free" for key in _PREFS}}},
    "MEMBER": {"default": "reason", "customer_default": "reason",
               "fields": {"location": "free", "fields.meeting_date": "free"}},
    "ENT-CREDIT": {"default": "reason", "customer_default": "reason",
                   "fields": {"location": "free", "fields.credit_rating": "approval",
                              "fields.credit_limit": "approval",
                              "customer.credit_rating": "approval",
                              "customer.credit_limit": "approval"}},
}


def create_rule(apps, schema_editor):
    """The shipped rule of kind `change`, unless one exists (also run by the tests'
    fixtures after a flush)."""
    ApprovalRule = apps.get_model("circulation", "ApprovalRule")
    if ApprovalRule.objects.filter(kind=RULE["kind"]).exists():
        return
    ApprovalRule.objects.create(
        name=RULE["name"],
        priority=RULE["priority"],
        kind=RULE["kind"],
        steps=RULE["steps"],
        escalate_after_hours=48,
    )


def remove_rules(apps, schema_editor):
    """The way back: rules of kind `change` mean nothing before change control."""
    apps.get_model("circulation", "ApprovalRule").objects.filter(kind=RULE["kind"]).delete()


def fill_types(apps, schema_editor):
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for archive_type in ArchiveType.objects.filter(code__in=list(CONTROL)):
        if not archive_type.change_control:
            archive_type.change_control = CONTROL[archive_type.code]
            archive_type.save(update_fields=["change_control"])


def forwards(apps, schema_editor):
    create_rule(apps, schema_editor)
    fill_types(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("circulation", "0008_change_requests"),
        ("archives", "0014_archive_type_change_control"),
    ]

    operations = [migrations.RunPython(forwards, remove_rules)]
