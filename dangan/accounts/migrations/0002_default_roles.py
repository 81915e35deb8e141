"""The nine roles of SPEC §1 with their default permissions and data scopes.

The values are written out here (not imported) so that this migration keeps doing
the same thing when the code's defaults change later. Roles stay editable data.
"""

from django.db import migrations

VIEW_ALL = [
    "customer.view", "dossier.view", "document.view", "file.download",
]
WORK = ["customer.create", "customer.change", "dossier.create", "document.upload"]

ROLES = [
    ("archivist", "档案管理员", "all",
     [*VIEW_ALL, *WORK, "customer.view_identity", "dossier.change", "dossier.locate"]),
    ("account_manager", "客户经理", "own", [*VIEW_ALL, *WORK]),
    ("dept_manager", "部门经理", "department", [*VIEW_ALL, *WORK, "dossier.change"]),
    ("director", "总经理", "all",
     [*VIEW_ALL, *WORK, "customer.view_identity", "dossier.change", "dossier.locate"]),
    ("customer_service", "客服人员", "all",
     [*VIEW_ALL, "customer.change", "customer.view_identity", "document.upload"]),
    # Field-limited disclosure (organisation, name, title only) arrives with access control;
    # until then business staff see only their own customers' basic records.
    ("business_staff", "业务人员", "own", ["customer.view"]),
    ("finance", "财务", "all", ["customer.view", "dossier.view"]),
    ("auditor", "审计员", "none", ["audit.view"]),
    ("sysadmin", "系统管理员", "none", ["user.manage", "archive_type.manage"]),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name, scope, permissions in ROLES:
        Role.objects.update_or_create(
            code=code, defaults={"name": name, "scope": scope, "permissions": permissions}
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
