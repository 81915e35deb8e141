"""The keys file must be there and be this database's: checked before every command and
when the web application starts. A new keys file is made only for an empty database
(`dangan init`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from dangan import config
from dangan.backups import keys
from dangan.core.errors import ApplicationError


class KeysProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def current_secrets() -> dict[str, str]:
    return {
        "secret_key": settings.SECRET_KEY,
        "field_key": settings.FIELD_ENCRYPTION_KEY,
        "lookup_key": settings.LOOKUP_HASH_KEY,
        "audit_key": settings.AUDIT_CHAIN_KEY,
    }


def keys_path() -> Path:
    return Path(settings.DATA_DIR) / config.KEYS_FILE


def database_empty() -> bool:
    tables = connection.introspection.table_names()
    if "accounts_user" not in tables:
        return True
    from dangan.accounts.models import User

    return not User.objects.exists()


def latest_backup() -> str:
    """Where the newest backup is, as far as this machine knows (for the messages)."""
    from dangan.backups.writer import PREFIX, default_destination

    try:
        from dangan.backups.models import BackupRun

        run = BackupRun.objects.filter(state=BackupRun.State.SUCCEEDED).first()
        if run is not None:
            return run.path
    except DatabaseError:
        pass
    destination = default_destination()
    found = sorted(destination.glob(f"{PREFIX}*")) if destination.is_dir() else []
    return str(found[-1]) if found else _("(本机未找到备份)")


def apply_keys(values: dict[str, str]) -> None:
    settings.SECRET_KEY = values["secret_key"]
    settings.FIELD_ENCRYPTION_KEY = values["field_key"]
    settings.LOOKUP_HASH_KEY = values["lookup_key"]
    settings.AUDIT_CHAIN_KEY = values["audit_key"]
    settings.DANGAN_KEYS_MISSING = False


def keys_gate(*, may_create: bool = False) -> bool:
    """Stop (KeysProblem) on a missing or wrong keys file. With `may_create` (dangan init)
    a missing file is made when the database is empty; True if it was."""
    if settings.DANGAN_KEYS_MISSING:
        if may_create and database_empty():
            apply_keys(config.create_secrets(Path(settings.DATA_DIR)))
            return True
        raise KeysProblem(
            _(
                "密钥文件 %(path)s 不存在,而数据库中已有数据:没有它,加密的证件号无法读取,"
                "审计链无法校验。请从备份恢复该文件(最近的备份:%(backup)s),"
                "例如 dangan keys restore 备份目录;不会自动生成新密钥"
                " (keys file missing: restore it from a backup)"
            )
            % {"path": keys_path(), "backup": latest_backup()}
        )
    key_check_compare()
    return False


def key_check_compare() -> None:
    """Compare the keys with the check values in the database (recorded now if the
    database has none yet: an instance from before the check)."""
    from dangan.backups.models import KeyCheck

    if "backups_keycheck" not in connection.introspection.table_names():
        return  # not migrated yet: the migration records the check values
    current = current_secrets()
    stored = KeyCheck.objects.order_by("pk").first()
    if stored is None:
        KeyCheck.objects.create(instance=keys.instance_id(current), checks=keys.key_checks(current))
        return
    checks = keys.key_checks(current)
    wrong = sorted(name for name, value in stored.checks.items() if checks.get(name) != value)
    if wrong and _finish_rotation(stored.checks):
        return
    if wrong:
        raise KeysProblem(
            _(
                "密钥文件 %(path)s 与数据库不符(%(names)s 不同;数据库属于实例 %(instance)s):"
                "可能放错了另一实例的密钥文件。请放回本实例的密钥文件,或从备份恢复"
                "(最近的备份:%(backup)s)"
                " (keys file does not match the database)"
            )
            % {
                "path": keys_path(),
                "names": ", ".join(wrong),
                "instance": stored.instance,
                "backup": latest_backup(),
            }
        )


def _finish_rotation(stored: dict[str, str]) -> bool:
    """A key rotation that committed but died before renaming its new keys file: the
    staged file matches the database, so it goes into place now."""
    staged = keys_path().with_name(config.KEYS_FILE + ".new")
    if not staged.is_file():
        return False
    values: dict[str, str] = json.loads(staged.read_text(encoding="utf-8"))
    if keys.key_checks(values) != stored:
        return False
    staged.replace(keys_path())
    apply_keys(values)
    return True


def key_check_record(values: dict[str, str] | None = None) -> None:
    """Record the check values of the keys (a new database, a key rotation)."""
    from dangan.backups.models import KeyCheck

    current = values or current_secrets()
    KeyCheck.objects.all().delete()
    KeyCheck.objects.create(instance=keys.instance_id(current), checks=keys.key_checks(current))


def keys_restore(*, backup: Path, passphrase: Callable[[], str]) -> Path:
    """Write the keys file of `backup` into the data dir, where it is missing, if its keys
    are the ones this database was made with."""
    from dangan.backups.models import KeyCheck
    from dangan.backups.restore import RestoreError, check_backup

    path = keys_path()
    if path.exists():
        raise ApplicationError(_("密钥文件已存在,未改动:%(path)s") % {"path": path})
    try:
        _meta, secrets = check_backup(backup, passphrase)
    except RestoreError as exc:
        raise ApplicationError(str(exc)) from exc
    stored = KeyCheck.objects.order_by("pk").first()
    if stored is not None and stored.checks != keys.key_checks(
        {name: secrets[name] for name in keys.KEY_NAMES}
    ):
        raise ApplicationError(
            _("备份中的密钥与本数据库不符(实例 %(instance)s),未写入")
            % {"instance": stored.instance}
        )
    config.write_secrets(path, secrets)
    return path
