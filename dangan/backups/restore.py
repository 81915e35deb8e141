"""`dangan restore`: a checked backup into an empty (or missing) data directory.

Django-free: it runs before any settings exist for the target, so no key is made there
before the backup's own keys file is written. Every member is checked against the
manifests and the passphrase's seal before anything is written; the data directory is
assembled under a temporary name beside the target and renamed into place at the end.
PostgreSQL is restored by pg_restore in one transaction.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import secrets as random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dangan.backups import bag, keys, sealing, snapshot

LOCK_FILE = "dangan.lock"


class RestoreError(Exception):
    """Refused or failed; the message is for the operator (Chinese, English in brackets)."""


@dataclass
class RestoreResult:
    data_dir: Path
    engine: str
    records: int
    files: int
    audit_seq: int
    set_aside: Path | None
    storage: str


def in_use(data_dir: Path) -> bool:
    """Whether a running Dangan holds the data directory (every command holds a shared
    lock on its dangan.lock while it runs)."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def check_backup(
    backup: Path, passphrase: Callable[[], str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check every member, then open the keys; (the backup's description, the keys)."""
    try:
        bag.verify(backup)
    except (bag.BagError, OSError, UnicodeDecodeError) as exc:
        raise RestoreError(
            f"备份不完整或已被改动,未恢复任何内容 (backup damaged or edited: {exc})"
        ) from exc
    meta: dict[str, Any] = json.loads((backup / "dangan-backup.json").read_text(encoding="utf-8"))
    if meta.get("format") != "dangan-backup/1":
        raise RestoreError(f"不支持的备份格式 (unknown backup format): {meta.get('format')}")
    try:
        opened = sealing.unseal((backup / meta["keys"]["member"]).read_bytes(), passphrase())
    except sealing.WrongPassphrase as exc:
        raise RestoreError("备份口令错误,未恢复任何内容 (wrong passphrase)") from exc
    except ValueError as exc:
        raise RestoreError(f"密钥文件无法读取 (keys member unreadable: {exc})") from exc
    for member, sha in opened["members"].items():
        if bag.sha256_file(backup / member)[0] != sha:
            raise RestoreError(
                f"备份内容与口令封存的校验值不符,备份已被改动 (seal mismatch: {member})"
            )
    if keys.instance_id(opened["secrets"]) != meta["instance"]:
        raise RestoreError("备份的密钥与其说明不符 (keys do not match the backup's instance)")
    return meta, opened["secrets"]


def _is_empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _check_target(data_dir: Path, meta: dict[str, Any], force: bool) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise RestoreError(f"目标不是目录 (not a directory): {data_dir}")
    if _is_empty(data_dir):
        return
    if in_use(data_dir):
        raise RestoreError(
            f"数据目录正被运行中的 Dangan 使用,请先停止服务 (data directory in use): {data_dir}"
        )
    if not force:
        raise RestoreError(
            f"数据目录不为空,未恢复;请恢复到空目录,或用 --force 替换(原目录将改名保留)"
            f" (data directory not empty; use --force): {data_dir}"
        )
    existing = keys.read_keys(data_dir)
    if existing is not None and keys.instance_id(existing) != meta["instance"]:
        raise RestoreError(
            f"数据目录属于另一个实例({keys.instance_id(existing)}),备份来自实例"
            f" {meta['instance']};未恢复,请恢复到空目录"
            f" (the data directory belongs to another instance)"
        )


def _check_space(data_dir: Path, backup: Path) -> None:
    needed = sum(p.stat().st_size for p in backup.rglob("*") if p.is_file())
    parent = data_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(parent).free
    if free < needed * 1.05 + 16 * 1024 * 1024:
        raise RestoreError(
            f"磁盘空间不足:需要约 {needed // 2**20} MB,可用 {free // 2**20} MB,未恢复"
            f" (not enough disk space)"
        )


def restore(
    *,
    backup: Path,
    data_dir: Path,
    passphrase: Callable[[], str],
    force: bool = False,
    database: dict[str, Any] | None = None,
) -> RestoreResult:
    """Restore `backup` into `data_dir` (and, for a PostgreSQL backup, into the database
    `database` names: Django-style NAME/USER/PASSWORD/HOST/PORT)."""
    backup, data_dir = backup.resolve(), data_dir.resolve()
    meta, secrets = check_backup(backup, passphrase)
    engine = meta["database"]["engine"]
    if engine == "postgresql" and database is None:
        raise RestoreError(
            "这是 PostgreSQL 的备份,请用 DANGAN_DATABASE_URL 指定要恢复到的空数据库"
            " (a PostgreSQL backup: set DANGAN_DATABASE_URL)"
        )
    if engine == "sqlite" and database is not None:
        raise RestoreError(
            "这是 SQLite 的备份,恢复时请不要设置 DANGAN_DATABASE_URL"
            " (an SQLite backup: unset DANGAN_DATABASE_URL)"
        )
    _check_target(data_dir, meta, force)
    if database is not None:
        _check_database(database, meta, force)
    _check_space(data_dir, backup)
    temp = data_dir.parent / f".{data_dir.name}.restore-{random.token_hex(4)}"
    try:
        temp.mkdir(mode=0o700)
        _write_keys(temp, secrets)
        files = _copy_payload(backup, temp, meta)
        if database is not None:
            _pg_restore(backup / meta["database"]["member"], database, force)
        set_aside = _swap(temp, data_dir)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise RestoreError("磁盘空间不足,未恢复任何内容 (disk full)") from exc
        raise
    return RestoreResult(
        data_dir,
        engine,
        int(meta["records"]),
        files,
        int(meta["audit_head"]["seq"]),
        set_aside,
        str(meta.get("storage", "local")),
    )


def _write_keys(root: Path, secrets: dict[str, str]) -> None:
    fd = os.open(root / keys.KEYS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(secrets, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _copy_payload(backup: Path, root: Path, meta: dict[str, Any]) -> int:
    """Copy the SQLite database and the stored files, checking each copy again."""
    payload = bag._read_manifest(backup, bag.MANIFEST)
    files = 0
    for member, sha in sorted(payload.items()):
        parts = Path(member).parts
        if parts[:2] == ("data", "files"):
            target = root / "files" / Path(*parts[2:])
            files += 1
        elif member == meta["database"]["member"] and meta["database"]["engine"] == "sqlite":
            target = root / snapshot.SQLITE_NAME
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(backup / member, target)
        os.chmod(target, 0o600)
        if bag.sha256_file(target)[0] != sha:
            raise RestoreError(f"复制后校验失败 (copy does not match): {member}")
    return files


def _swap(temp: Path, data_dir: Path) -> Path | None:
    """Rename the assembled directory into place; a replaced one is kept beside it."""
    set_aside = None
    if data_dir.exists():
        if any(data_dir.iterdir()):
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            set_aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            os.rename(data_dir, set_aside)
        else:
            data_dir.rmdir()
    os.rename(temp, data_dir)
    return set_aside


def _check_database(database: dict[str, Any], meta: dict[str, Any], force: bool) -> None:
    try:
        conn = snapshot.pg_connect(database)
    except Exception as exc:
        raise RestoreError(f"无法连接数据库 (cannot connect): {exc}") from exc
    with conn:
        tables = snapshot.pg_tables(conn.cursor())
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
        instance = None
        if "backups_keycheck" in tables:
            row = conn.execute("SELECT instance FROM backups_keycheck LIMIT 1").fetchone()
            instance = row[0] if row else None
    if not tables:
        return
    if others:
        raise RestoreError(
            f"数据库 {database['NAME']} 正被使用({others} 个连接),请先停止服务 (database in use)"
        )
    if not force:
        raise RestoreError(
            f"数据库 {database['NAME']} 不为空,未恢复;请用空数据库,或用 --force 替换"
            " (database not empty; use --force)"
        )
    if instance and instance != meta["instance"]:
        raise RestoreError(
            f"数据库属于另一个实例({instance}),备份来自实例 {meta['instance']};未恢复"
            " (the database belongs to another instance)"
        )


def _pg_restore(dump: Path, database: dict[str, Any], force: bool) -> None:
    args, env = snapshot.pg_env(database)
    command = [snapshot.tool("pg_restore"), *args, "--single-transaction", "--exit-on-error"]
    command += ["--no-owner", "--no-privileges", f"--dbname={database['NAME']}"]
    if force:
        command += ["--clean", "--if-exists"]
    done = subprocess.run(  # noqa: S603 - fixed program
        [*command, str(dump)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RestoreError(
            f"pg_restore 失败,数据库未改动 (pg_restore failed, rolled back): {done.stderr.strip()}"
        )
