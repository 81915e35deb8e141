from __future__ import annotations

import errno
import fcntl
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dangan.audit.models import AuditEntry
from dangan.backups import restore, services, writer
from dangan.backups.models import BackupRun
from dangan.circulation.models import Notification
from dangan.core.errors import ApplicationError

PASSPHRASE = "test-passphrase-2026"
pytestmark = pytest.mark.django_db


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    return writer.backup_write(destination=tmp_path / "backups", passphrase=PASSPHRASE).path


def _check(path: Path, passphrase: str = PASSPHRASE) -> dict[str, Any]:
    meta, _keys = restore.check_backup(path, lambda: passphrase)
    return meta


def test_it_writes_one_checked_bag_covering_every_file(backup: Path) -> None:
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]
    listed = {
        line.split("  ", 1)[1]
        for name in ("manifest-sha256.txt", "tagmanifest-sha256.txt")
        for line in (backup / name).read_text().splitlines()
    }
    files = {p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file()}
    assert files - listed == {"tagmanifest-sha256.txt"}
    meta = _check(backup)
    assert meta["audit_head"]["seq"] >= 0 and meta["counts"]["accounts_role"] >= 9
    assert b"field_key" not in (backup / "data/keys/secrets.json.enc").read_bytes()


def test_it_refuses_a_wrong_passphrase(backup: Path) -> None:
    with pytest.raises(restore.RestoreError, match="口令错误"):
        _check(backup, "not-the-passphrase")


@pytest.mark.parametrize("how", ["edited", "truncated", "removed", "added"])
def test_it_refuses_an_edited_or_truncated_backup(backup: Path, how: str) -> None:
    database = next((backup / "data" / "database").iterdir())
    if how == "edited":
        with database.open("r+b") as handle:
            handle.seek(200)
            handle.write(b"X")
    elif how == "truncated":
        with database.open("r+b") as handle:
            handle.truncate(100)
    elif how == "removed":
        database.unlink()
    else:
        (backup / "data" / "extra.txt").write_text("x")
    with pytest.raises(restore.RestoreError, match="备份不完整或已被改动"):
        _check(backup)


def test_it_refuses_a_backup_edited_and_rehashed_without_the_passphrase(backup: Path) -> None:
    meta_path = backup / "dangan-backup.json"
    meta = json.loads(meta_path.read_text())
    meta["audit_head"]["seq"] += 1
    meta_path.write_text(json.dumps(meta))
    from dangan.backups import bag

    tags = backup / "tagmanifest-sha256.txt"
    tags.write_text(
        "".join(
            f"{bag.sha256_file(backup / n)[0]}  {n}\n"
            for n in (
                "audit-anchor.json",
                "bag-info.txt",
                "bagit.txt",
                "dangan-backup.json",
                "manifest-sha256.txt",
            )
        )
    )
    with pytest.raises(restore.RestoreError, match="封存"):
        _check(backup)


def test_it_restores_only_into_an_empty_directory_of_the_same_instance(
    backup: Path, tmp_path: Path
) -> None:
    meta = _check(backup)
    restore._check_target(tmp_path / "missing", meta, force=False)
    target = tmp_path / "full"
    target.mkdir()
    (target / "something").write_text("x")
    with pytest.raises(restore.RestoreError, match="不为空"):
        restore._check_target(target, meta, force=False)
    restore._check_target(target, meta, force=True)
    (target / "secrets.json").write_text(json.dumps({"audit_key": "another"}))
    with pytest.raises(restore.RestoreError, match="另一个实例"):
        restore._check_target(target, meta, force=True)


def test_it_refuses_a_directory_in_use(backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "live"
    target.mkdir()
    with (target / restore.LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        with pytest.raises(restore.RestoreError, match="正被运行中"):
            restore._check_target(target, _check(backup), force=True)
    assert (target / restore.LOCK_FILE).exists()


def test_it_restores_an_sqlite_backup_and_keeps_a_replaced_directory(
    backup: Path, tmp_path: Path
) -> None:
    if _check(backup)["database"]["engine"] != "sqlite":
        pytest.skip("the drill covers PostgreSQL")
    target = tmp_path / "var"
    result = restore.restore(backup=backup, data_dir=target, passphrase=lambda: PASSPHRASE)
    assert (target / "dangan.sqlite3").exists() and (target / "secrets.json").exists()
    result = restore.restore(
        backup=backup, data_dir=target, passphrase=lambda: PASSPHRASE, force=True
    )
    assert result.set_aside is not None and (result.set_aside / "secrets.json").exists()
    assert not list(tmp_path.glob(".var.restore-*"))


def test_it_leaves_no_partial_backup_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: Any
) -> None:
    def full(*args: Any) -> list[str]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "_copy_files", full)
    with pytest.raises(ApplicationError, match="磁盘空间不足"):
        writer.backup_write(destination=tmp_path / "backups", passphrase=PASSPHRASE)
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_backup_without_passphrase_fails_with_a_reason_and_a_notice(
    sam: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("DANGAN_BACKUP_PASSPHRASE", raising=False)
    run = services.backup_request(actor=sam)
    with pytest.raises(ApplicationError):
        services.backup_execute(run=run, destination=tmp_path / "b")
    run.refresh_from_db()
    assert run.state == BackupRun.State.FAILED and "DANGAN_BACKUP_PASSPHRASE" in run.error
    assert Notification.objects.filter(user=sam, text__contains="备份失败").exists()
    entry = AuditEntry.objects.filter(action="backup").get()
    assert entry.outcome == AuditEntry.Outcome.FAILED


def test_a_backup_run_is_recorded_audited_and_pruned(
    sam: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DANGAN_BACKUP_KEEP", "2")
    destination = tmp_path / "b"
    for _ in range(3):
        run = services.backup_execute(
            run=services.backup_request(actor=sam), passphrase=PASSPHRASE, destination=destination
        )
    assert run.state == BackupRun.State.SUCCEEDED and Path(run.path).is_dir()
    assert run.size and run.records and run.audit_hash
    assert len(list(destination.iterdir())) == 2
    assert AuditEntry.objects.filter(action="backup", object_id=str(run.pk)).exists()
    assert AuditEntry.objects.filter(action="backup_request", actor=sam).count() == 3


def test_only_the_system_administrator_asks_for_backups(bob: Any) -> None:
    from dangan.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.backup_request(actor=bob)
    assert not BackupRun.objects.exists()


def test_restore_needs_a_database_url_for_a_postgresql_backup(backup: Path, tmp_path: Path) -> None:
    engine = _check(backup)["database"]["engine"]
    database = None if engine == "postgresql" else {"NAME": "x"}
    with pytest.raises(restore.RestoreError, match="DANGAN_DATABASE_URL"):
        restore.restore(
            backup=backup,
            data_dir=tmp_path / "v",
            passphrase=lambda: PASSPHRASE,
            database=database,
        )
    assert not (tmp_path / "v").exists()


def test_it_keeps_nothing_when_a_copy_fails(backup: Path, tmp_path: Path, monkeypatch: Any) -> None:
    if _check(backup)["database"]["engine"] != "sqlite":
        pytest.skip("SQLite only")

    def broken(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", broken)
    with pytest.raises(restore.RestoreError, match="磁盘空间不足"):
        restore.restore(backup=backup, data_dir=tmp_path / "v", passphrase=lambda: PASSPHRASE)
    assert not (tmp_path / "v").exists() and not list(tmp_path.glob(".v.restore-*"))
