from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dangan import cli
from dangan.backups import gate
from dangan.backups.models import KeyCheck

pytestmark = pytest.mark.django_db


def test_every_command_stops_without_the_keys_file(
    settings: Any, sam: Any, capsys: Any, tmp_path: Path
) -> None:
    settings.DANGAN_KEYS_MISSING = True
    settings.DATA_DIR = tmp_path
    for command in (["verify"], ["init"], ["serve", "--no-worker"], ["reminders"]):
        assert cli.main(command) == 3
    err = capsys.readouterr().err
    assert str(tmp_path / "secrets.json") in err and "备份" in err and "restore" in err
    assert not (tmp_path / "secrets.json").exists()  # no new key for a database with data


def test_init_makes_the_keys_file_for_an_empty_database_only(
    settings: Any, monkeypatch: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.DANGAN_KEYS_MISSING = True
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(gate, "database_empty", lambda: True)
    old_key = settings.FIELD_ENCRYPTION_KEY
    assert cli.main(["init", "--admin-password", "Admin-Pass-2026"]) == 0
    path = tmp_path / "secrets.json"
    assert os.stat(path).st_mode & 0o777 == 0o600
    values = json.loads(path.read_text())
    assert values["field_key"] == settings.FIELD_ENCRYPTION_KEY != old_key
    assert "生成密钥文件" in capsys.readouterr().out


def test_a_wrong_keys_file_stops_every_command(settings: Any, capsys: Any) -> None:
    gate.key_check_record()
    assert cli.main(["verify"]) == 0
    settings.FIELD_ENCRYPTION_KEY = "another-instance-key"
    assert cli.main(["verify"]) == 3
    err = capsys.readouterr().err
    assert "与数据库不符" in err and "field_key" in err and "secrets.json" in err
    assert KeyCheck.objects.get().instance  # the check values are not replaced


def test_the_check_values_are_recorded_for_a_database_without_them(settings: Any) -> None:
    KeyCheck.objects.all().delete()
    gate.keys_gate()
    assert KeyCheck.objects.get().checks["audit_key"]


def test_a_lost_keys_file_comes_back_from_a_backup(
    settings: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    from dangan.backups import writer

    gate.key_check_record()
    backup = writer.backup_write(destination=tmp_path / "b", passphrase="restore-2026").path
    lost = Path(settings.DATA_DIR) / "secrets.json"
    kept = lost.read_text()
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.DANGAN_KEYS_MISSING = True
    monkeypatch.setenv("DANGAN_BACKUP_PASSPHRASE", "restore-2026")
    assert cli.main(["verify"]) == 3
    assert cli.main(["keys", "restore", str(backup)]) == 0
    assert json.loads((tmp_path / "data" / "secrets.json").read_text()) == json.loads(kept)
    assert cli.main(["keys", "restore", str(backup)]) == 2  # never overwritten
    assert "已存在" in capsys.readouterr().err


def _own_keys_file(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(gate.current_secrets()))
    gate.key_check_record()
    return path


def test_rotate_reencrypts_everything_and_keeps_the_old_keys_until_the_next_backup(
    settings: Any, tmp_path: Path, bobs_customer: Any, bob: Any, capsys: Any
) -> None:
    from dangan.audit.models import AuditEntry
    from dangan.audit.services import audit_verify
    from dangan.customers.models import Customer, identity_lookup
    from dangan.customers.services import related_person_add

    path = _own_keys_file(settings, tmp_path)
    related_person_add(
        actor=bob,
        customer=bobs_customer,
        relation="agent",
        name="李四",
        id_number="110101196201203213",
    )
    before = json.loads(path.read_text())
    old_token = Customer.objects.get().id_number_encrypted
    assert cli.main(["keys", "rotate", "--lookup"]) == 0
    after = json.loads(path.read_text())
    assert after["field_key"] != before["field_key"]
    assert after["lookup_key"] != before["lookup_key"]
    assert after["audit_key"] == before["audit_key"] and after["secret_key"] == before["secret_key"]
    customer = Customer.objects.get()
    assert customer.id_number_encrypted != old_token
    assert customer.id_number == "11010519491231002X"
    from dangan.core import crypto

    person = customer.related_persons.get()
    assert crypto.decrypt(person.id_number_encrypted) == "110101196201203213"
    column, value = identity_lookup("11010519491231002X") or ("", "")
    assert Customer.objects.filter(**{column: value}).exists()  # found again
    (kept,) = tmp_path.glob("secrets.json.rotated-*")
    assert json.loads(kept.read_text()) == before and os.stat(kept).st_mode & 0o777 == 0o600
    assert AuditEntry.objects.filter(action="keys_rotate").exists()
    assert list(audit_verify()) == []
    assert cli.main(["verify"]) == 0  # the check values follow the new keys
    assert "旧密钥文件保留" in capsys.readouterr().out


def test_rotate_help_says_the_audit_key_stays(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        cli.main(["keys", "rotate", "--help"])
    assert "audit_key不轮换" in "".join(capsys.readouterr().out.split())


def test_a_rotation_cut_short_before_the_rename_is_finished_at_the_next_start(
    settings: Any, tmp_path: Path, bobs_customer: Any
) -> None:
    from dangan.backups import rotate

    path = _own_keys_file(settings, tmp_path)
    before = path.read_text()
    rotate.keys_rotate()
    rotated = path.read_text()
    path.with_name("secrets.json.new").write_text(rotated)
    path.write_text(before)  # as if the rename had not happened
    settings.FIELD_ENCRYPTION_KEY = json.loads(before)["field_key"]
    gate.keys_gate()
    assert path.read_text() == rotated and not path.with_name("secrets.json.new").exists()
    assert json.loads(rotated)["field_key"] == settings.FIELD_ENCRYPTION_KEY
