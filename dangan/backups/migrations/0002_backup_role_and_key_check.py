"""The system administrator looks after backups (system.backup); and the keys file's
check values are recorded with the database, so a wrong keys file is told at start."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations

GRANTS = {"sysadmin": ["system.backup"]}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions) | set(added))
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, added in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = [p for p in role.permissions if p not in added]
            role.save(update_fields=["permissions"])


def _mac(key, message):
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def record_key_check(apps, schema_editor):
    # The same values as dangan.backups.keys (a migration keeps its own copy).
    if getattr(settings, "DANGAN_KEYS_MISSING", False):
        return
    KeyCheck = apps.get_model("backups", "KeyCheck")
    if KeyCheck.objects.exists():
        return
    secrets = {
        "secret_key": settings.SECRET_KEY,
        "field_key": settings.FIELD_ENCRYPTION_KEY,
        "lookup_key": settings.LOOKUP_HASH_KEY,
        "audit_key": settings.AUDIT_CHAIN_KEY,
    }
    KeyCheck.objects.create(
        instance=_mac(secrets["audit_key"], b"dangan/instance")[:16],
        checks={name: _mac(key, b"dangan/key-check") for name, key in secrets.items()},
    )


class Migration(migrations.Migration):
    dependencies = [("backups", "0001_initial"), ("accounts", "0008_import_export_roles")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(record_key_check, migrations.RunPython.noop),
    ]
