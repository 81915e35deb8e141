"""The default approval chains (issue 5): data, edited later without code.

Written out here (not imported) so this migration keeps doing the same thing when the
code's defaults change. Lower priority numbers are tried first; the first match wins.
"""

from django.db import migrations

DEPT_MANAGER = {"role": "dept_manager", "department": "requester"}
CUSTOMER_DEPT_MANAGER = {"role": "dept_manager", "department": "customer"}
ARCHIVIST = {"role": "archivist", "department": "any"}
DIRECTOR = {"role": "director", "department": "any"}

# (name, priority, kind, confidentiality, relation, steps)
RULES = [
    ("绝密档案:总经理审批", 10, "", "top_secret", "", [DIRECTOR]),
    ("本人客户·普通·查阅:无需审批", 20, "view", "normal", "own", []),
    ("本人客户·普通·借阅:无需审批", 21, "borrow", "normal", "own", []),
    ("本人客户·秘密·查阅:无需审批", 22, "view", "secret", "own", []),
    ("本人客户·秘密·借阅:无需审批", 23, "borrow", "secret", "own", []),
    ("本人客户·复制及机密档案:部门经理审批", 30, "", "", "own", [DEPT_MANAGER]),
    ("本部门客户:部门经理审批", 40, "", "", "department", [DEPT_MANAGER]),
    ("其他部门客户:客户所属部门经理、档案管理员审批", 50, "", "", "other",
     [CUSTOMER_DEPT_MANAGER, ARCHIVIST]),
]


def create_rules(apps, schema_editor):
    ApprovalRule = apps.get_model("circulation", "ApprovalRule")
    for name, priority, kind, confidentiality, relation, steps in RULES:
        ApprovalRule.objects.update_or_create(
            name=name,
            defaults={
                "priority": priority,
                "kind": kind,
                "confidentiality": confidentiality,
                "relation": relation,
                "steps": steps,
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("circulation", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
