"""`dangan backup`: one BagIt bag holding the database snapshot, every stored file and the
keys (encrypted with the operator's passphrase), written under a temporary name and
renamed when whole and checked, so that a crash or a full disk leaves no backup that
looks complete."""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from dangan.audit.services import ChainHead
from dangan.backups import bag, keys, sealing, snapshot
from dangan.core.errors import ApplicationError

FORMAT = "dangan-backup/1"
META = "dangan-backup.json"
ANCHOR = "audit-anchor.json"  # the snapshot's audit head: dangan verify --anchor FILE
KEYS_MEMBER = "keys/secrets.json.enc"
PREFIX = "dangan-backup-"
# The tables whose counts the summary names; every table's count is in the manifest.
MAIN_TABLES = {
    "customers_customer": "customers",
    "archives_dossier": "dossiers",
    "documents_document": "documents",
    "audit_auditentry": "audit_entries",
}


@dataclass
class BackupResult:
    path: Path
    size: int
    records: int
    files: int
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {label: self.counts.get(table, 0) for table, label in MAIN_TABLES.items()}


def default_destination() -> Path:
    configured = os.environ.get("DANGAN_BACKUP_DIR", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "backups"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_name(destination: Path) -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    name, n = f"{PREFIX}{stamp}", 1
    while (destination / name).exists():
        n += 1
        name = f"{PREFIX}{stamp}-{n}"
    return name


def backup_write(*, destination: Path, passphrase: str) -> BackupResult:
    """Write one backup into `destination` (one new entry), check it, and describe it."""
    if len(passphrase) < sealing.MIN_PASSPHRASE:
        raise ApplicationError(
            _("备份口令至少 %(n)s 个字符") % {"n": sealing.MIN_PASSPHRASE}, field="passphrase"
        )
    secrets = keys.read_keys(Path(settings.DATA_DIR))
    if secrets is None:
        raise ApplicationError(_("密钥文件不存在,无法备份"), field="keys")
    try:
        destination.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = _new_name(destination)
        temp = destination / f".{name}.partial"
        temp.mkdir(mode=0o700)
    except OSError as exc:
        raise ApplicationError(
            _("无法写入备份目录 %(dir)s:%(error)s") % {"dir": destination, "error": exc.strerror},
            field="to",
        ) from exc
    try:
        result = _write(temp, secrets, passphrase)
        bag.verify(temp)
        _check_seal(temp, passphrase)
        target = destination / name
        os.rename(temp, target)
        _fsync_dir(destination)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise ApplicationError(
                _("磁盘空间不足,备份未完成,已删除未完成的备份 (disk full)"), field="to"
            ) from exc
        if isinstance(exc, snapshot.SnapshotError | bag.BagError):
            raise ApplicationError(
                _("备份失败:%(error)s") % {"error": exc}, field="database"
            ) from exc
        raise
    result.path = target
    return result


def _write(root: Path, secrets: dict[str, str], passphrase: str) -> BackupResult:
    database = root / "data" / "database"
    database.mkdir(parents=True)
    db = settings.DATABASES["default"]
    if "sqlite" in str(db["ENGINE"]):
        snap = snapshot.sqlite_snapshot(str(db["NAME"]), database)
    else:
        snap = snapshot.pg_snapshot(db, database)
    payload = bag.Payload()
    sha, size = bag.sha256_file(database / snap.member)
    payload.add(f"database/{snap.member}", sha, size)
    warnings = _copy_files(root / "data" / "files", snap.blobs, payload)
    records = sum(snap.counts.values())
    head = ChainHead(snap.audit_seq, snap.audit_hash, snap.audit_at).as_dict()
    bag.write_text(root / ANCHOR, json.dumps(head, indent=1) + "\n")
    meta: dict[str, Any] = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(),
        "instance": keys.instance_id(secrets),
        "database": {"engine": snap.engine, "member": f"data/database/{snap.member}"},
        "storage": _storage_kind(),
        "counts": snap.counts,
        "records": records,
        "files": len(snap.blobs) - len(warnings),
        "audit_head": head,
        "keys": {"member": f"data/{KEYS_MEMBER}", "kdf": "scrypt", "cipher": "AES-256-GCM"},
        "warnings": warnings,
    }
    bag.write_text(root / META, json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    members = {f"data/{n}": s for n, (s, _z) in payload.entries.items()}
    for tag in (META, ANCHOR):
        members[tag] = bag.sha256_file(root / tag)[0]
    sealed = sealing.seal(secrets, members, passphrase)
    (root / "data" / "keys").mkdir()
    (root / "data" / KEYS_MEMBER).write_bytes(sealed)
    payload.add(KEYS_MEMBER, hashlib.sha256(sealed).hexdigest(), len(sealed))
    info = {
        "Source-Organization": "Dangan",
        "Bagging-Date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "External-Description": "Dangan backup: database, stored files, encrypted keys",
        "Dangan-Instance": meta["instance"],
        "Dangan-Audit-Head": f"{snap.audit_seq} {snap.audit_hash}",
    }
    bag.finish(root, payload, info, [META, ANCHOR])
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return BackupResult(
        root, size, records, meta["files"], snap.counts, snap.audit_seq, snap.audit_hash, warnings
    )


def _storage_kind() -> str:
    backend = str(settings.STORAGES["default"]["BACKEND"])
    return "s3" if "s3" in backend.lower() else "local"


def _copy_files(root: Path, blobs: list[str], payload: bag.Payload) -> list[str]:
    """Copy every stored file through the storage API, checking each against its name
    (content-addressed); a missing or damaged one is left out and named in the warnings."""
    warnings: list[str] = []
    for sha in blobs:
        name = f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        try:
            with default_storage.open(name, "rb") as source, target.open("wb") as out:
                while chunk := source.read(bag.CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            warnings.append(f"missing {sha}")
            continue
        if digest.hexdigest() != sha:
            target.unlink()
            warnings.append(f"damaged {sha}")
            continue
        payload.add(f"files/{name}", sha, size)
    return warnings


def _check_seal(root: Path, passphrase: str) -> None:
    opened = sealing.unseal((root / "data" / KEYS_MEMBER).read_bytes(), passphrase)
    for member, sha in opened["members"].items():
        if bag.sha256_file(root / member)[0] != sha:
            raise bag.BagError(f"seal mismatch: {member}")
