"""Disposal's defaults (issue 24): the approval chain (one step, the director: SPEC §1
"final approvals (destruction)"), who takes part (the archivist lists and appraises for
the archive room, department managers appraise for the business side, the auditor
supervises as 监销人, the register is read by the archivist, the auditor and the director),
and the register made append-only in the database itself."""

from django.db import migrations

GRANTS = {
    "archivist": ["disposal.propose", "disposal.register"],
    "auditor": ["disposal.supervise", "disposal.register", "dossier.dispose"],
    "director": ["disposal.register", "dossier.appraise"],
    "dept_manager": ["dossier.appraise"],
}

SQLITE = [
    "CREATE TRIGGER disposal_register_no_update BEFORE UPDATE ON disposal_registerentry "
    "BEGIN SELECT RAISE(ABORT, 'the destruction register is append-only'); END",
    "CREATE TRIGGER disposal_register_no_delete BEFORE DELETE ON disposal_registerentry "
    "BEGIN SELECT RAISE(ABORT, 'the destruction register is append-only'); END",
]
POSTGRES = [
    "CREATE FUNCTION disposal_register_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'the destruction register is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER disposal_register_append_only BEFORE UPDATE OR DELETE "
    "ON disposal_registerentry FOR EACH ROW EXECUTE FUNCTION disposal_register_append_only()",
]


def forwards(apps, schema_editor):
    try:
        ApprovalStepRule = apps.get_model("disposal", "ApprovalStepRule")
    except LookupError:  # the tests' fixtures, after circulation 0007 replaced the model
        ApprovalStepRule = None
    if ApprovalStepRule is not None and not ApprovalStepRule.objects.exists():
        ApprovalStepRule.objects.create(position=1, role="director")
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.permissions = sorted(set(role.permissions) | set(added))
        role.save(update_fields=["permissions"])


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = [p for p in role.permissions if p not in added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("disposal", "0001_initial"), ("accounts", "0009_lifecycle_roles")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(append_only, migrations.RunPython.noop),
    ]
