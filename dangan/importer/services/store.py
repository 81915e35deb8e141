"""The uploaded sheet, kept under the data dir only while a job can still use it, and
encrypted there (#22): a sheet carries ID numbers in clear, which the database keeps
encrypted, so the copy on disk must not give them away.

- The file is written encrypted as it is received (Fernet, in chunks of 1 MiB, under a
  key derived by HKDF from the data dir's field key: a key of its own, not the ID
  numbers' key), with mode 0600 in a folder with mode 0700. It is named by a keyed
  hash of its content (the same upload twice is stored once; the name does not let
  anyone confirm a guess of the content without the key).
- It is read back into memory (decrypted) when a job opens it: nothing in clear is
  written to disk.
- It is deleted when no job can use it any more (store.release): after a real import
  has finished, when a job is cancelled, when the file turns out to be unreadable, and
  (housekeeping) a dry run never committed after DRY_RUN_KEEP. A failed or killed job
  keeps it: it can be resumed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError
from dangan.importer.models import ImportJob

_MAGIC = b"DANGAN-IMPORT-1\n"
_CHUNK = 1 << 20
# A dry run that nobody committed keeps its sheet this long (housekeeping deletes it).
DRY_RUN_KEEP = datetime.timedelta(days=7)
# An upload's temporary file older than this belongs to an upload that died.
_ORPHAN_AFTER = datetime.timedelta(hours=1)
_STILL_NEEDED = (ImportJob.Status.PENDING, ImportJob.Status.RUNNING, ImportJob.Status.FAILED)


@cache
def _fernet(field_key: str) -> Fernet:
    """Fernet under a key of its own, derived from the data dir's field key."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"dangan import sheets v1"
    ).derive(field_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY)


def store_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # made by an older version with the umask's mode
        path.chmod(0o700)
    return path


def _name(digest: str) -> str:
    key = hashlib.sha256(b"import-file-name:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def job_file(job: ImportJob) -> Path:
    """Where the job's sheet is kept (encrypted); it may be gone (store.release)."""
    return store_dir() / _name(job.sha256)


def file_store(chunks: Iterable[bytes]) -> str:
    """Store an upload encrypted under the data dir; return the SHA-256 of its content."""
    digest = hashlib.sha256()
    tmp = store_dir() / f".upload-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_MAGIC)
            pending = b""
            for chunk in chunks:
                digest.update(chunk)
                pending += chunk
                while len(pending) >= _CHUNK:
                    _write_token(out, pending[:_CHUNK])
                    pending = pending[_CHUNK:]
            if pending:
                _write_token(out, pending)
            out.flush()
            os.fsync(out.fileno())
        final = store_dir() / _name(digest.hexdigest())
        os.replace(tmp, final)  # the same content stored again: one copy
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def _write_token(out: object, data: bytes) -> None:
    token = _cipher().encrypt(data)
    out.write(len(token).to_bytes(4, "big"))  # type: ignore[attr-defined]
    out.write(token)  # type: ignore[attr-defined]


def job_bytes(job: ImportJob) -> bytes:
    """The job's sheet, decrypted in memory."""
    path = job_file(job)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ApplicationError(
            _("导入的文件已删除(导入结束后不再保留),请重新上传"), field="file"
        ) from None
    if not raw.startswith(_MAGIC):
        raise ApplicationError(_("导入的文件已损坏,请重新上传"), field="file")
    parts: list[bytes] = []
    at = len(_MAGIC)
    try:
        while at < len(raw):
            size = int.from_bytes(raw[at : at + 4], "big")
            parts.append(_cipher().decrypt(raw[at + 4 : at + 4 + size]))
            at += 4 + size
    except InvalidToken:
        raise ApplicationError(_("导入的文件已损坏,请重新上传"), field="file") from None
    return b"".join(parts)


def _read_chunks(path: Path) -> Iterable[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
    except OSError:
        raise ApplicationError(_("无法读取文件"), field="file") from None


def release(sha256: str, *, keep_for: ImportJob | None = None) -> bool:
    """Delete the sheet with this content unless a job can still use it: one queued,
    running or failed (it can be resumed), a dry run (`keep_for`, which may still be
    committed) or a recent dry run that has not been committed. Returns whether it
    was deleted."""
    jobs = ImportJob.objects.filter(sha256=sha256)
    if keep_for is not None:
        jobs = jobs.exclude(pk=keep_for.pk)
    if jobs.filter(status__in=_STILL_NEEDED).exists():
        return False
    recent = timezone.now() - DRY_RUN_KEEP
    for dry in jobs.filter(dry_run=True, status=ImportJob.Status.DONE, updated_at__gte=recent):
        if not ImportJob.objects.filter(
            sha256=sha256, dry_run=False, created_at__gte=dry.created_at
        ).exists():
            return False  # a dry run not yet committed
    path = store_dir() / _name(sha256)
    if not path.exists():
        return False
    path.unlink(missing_ok=True)
    return True


def files_purge() -> int:
    """Housekeeping (`dangan worker` runs it as it starts): delete the sheets no job can
    use any more (a dry run left uncommitted past DRY_RUN_KEEP) and the temporary files
    of uploads that died. Returns how many files it deleted."""
    deleted = 0
    names = {}
    for sha in ImportJob.objects.values_list("sha256", flat=True).distinct():
        names[_name(sha)] = sha
    limit = (timezone.now() - _ORPHAN_AFTER).timestamp()
    for path in store_dir().iterdir():
        if path.name in names:
            deleted += release(names[path.name])
        elif path.stat().st_mtime < limit:  # an upload that died, or no job at all
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def seal(value: Any) -> str:
    """`value` as JSON, encrypted like the sheet (for what a job keeps of its rows)."""
    return _cipher().encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> Any:
    try:
        return json.loads(_cipher().decrypt(token.encode()))
    except InvalidToken:
        raise ApplicationError(_("数据无法解密,请检查密钥文件")) from None
