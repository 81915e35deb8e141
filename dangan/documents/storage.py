"""Content-addressed file storage over Django's storage API (local or S3-compatible).

Bytes are stored under their SHA-256, so the same scan uploaded twice is stored once
and the stored name says nothing about the customer. The client's file name is only
metadata on the Attachment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError
from dangan.documents.models import Blob

CHUNK = 1024 * 1024

# What a scan may be. Checked from the bytes, not the name or the client's claim.
ALLOWED_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/gif",
    "image/webp",
    "image/bmp",
}


@dataclass(frozen=True)
class Spooled:
    sha256: str
    size: int
    content_type: str
    handle: IO[bytes]


def spool(chunks: Iterable[bytes], *, max_bytes: int | None = None) -> Spooled:
    """Copy an upload to a temporary file, hashing as we go; refuse empty or oversized."""
    limit = max_bytes or settings.DANGAN_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, who closes it
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            handle.close()
            raise ApplicationError(
                _("文件过大,单个文件不能超过 %(mb)s MB") % {"mb": limit // (1024 * 1024)},
                field="file",
            )
        digest.update(chunk)
        handle.write(chunk)
    if size == 0:
        handle.close()
        raise ApplicationError(_("文件为空,请重新选择"), field="file")
    handle.seek(0)
    kind = filetype.guess(handle.read(8192))
    handle.seek(0)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        handle.close()
        raise ApplicationError(
            _("不支持的文件格式,请上传 PDF 或图片(JPG、PNG、TIFF 等)"), field="file"
        )
    return Spooled(digest.hexdigest(), size, content_type, handle)


def blob_store(spooled: Spooled) -> Blob:
    """Store the bytes once. Written before the database row: a crash in between leaves
    an unreferenced file (listed by `dangan verify`, removed by `--repair`), never a row
    without bytes. On local storage the bytes go to a temporary file that is renamed into
    place, so a killed upload never leaves a partial file under a content address; a file
    found there already is only adopted if it still hashes to its name."""
    return blob_save(blob_write(spooled))


def blob_write(spooled: Spooled) -> Blob:
    """The bytes of blob_store, without the row: a service writes them before its
    transaction (so no lock is held while they go to disk), then blob_save in it."""
    blob = Blob(sha256=spooled.sha256, size=spooled.size, content_type=spooled.content_type)
    if not default_storage.exists(blob.storage_name) or blob_fixity_state(blob) != "ok":
        spooled.handle.seek(0)
        _write(spooled, blob.storage_name)
    return blob


def blob_save(blob: Blob) -> Blob:
    """The row of bytes blob_write stored (the existing one if they were stored before)."""
    Blob.objects.bulk_create([blob], ignore_conflicts=True)
    return Blob.objects.get(sha256=blob.sha256)


TEMP_DIR = "blobs/tmp"  # under the storage: uploads being written (see _write)


def _write(spooled: Spooled, name: str) -> None:
    try:
        target = Path(default_storage.path(name))
    except NotImplementedError:  # object storage: a put is all or nothing
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, File(spooled.handle))
        if saved != name:  # pragma: no cover - storage renamed a collision
            default_storage.delete(saved)
            raise ApplicationError(_("文件存储失败,请重试"), field="file") from None
        return
    temp_dir = Path(default_storage.path(TEMP_DIR))
    _private_dirs(temp_dir)
    fd, temp = tempfile.mkstemp(dir=temp_dir, suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(spooled.handle, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        _private_dirs(target.parent)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _private_dirs(path: Path) -> None:
    """mkdir -p with every folder it creates 0700 (Path.mkdir gives parents the default)."""
    if path.is_dir():
        return
    _private_dirs(path.parent)
    with contextlib.suppress(FileExistsError):  # made meanwhile by another upload
        path.mkdir(mode=0o700)


def blob_open(blob: Blob) -> IO[bytes]:
    handle: IO[bytes] = default_storage.open(blob.storage_name, "rb")
    return handle


class BlobUnreadable(ApplicationError):
    """A stored file that is missing or no longer hashes to its name: refused, never served
    (SPEC C11: integrity on every read). `reason` is "missing" or "damaged"."""

    status_code = 409

    def __init__(self, blob: Blob, reason: str) -> None:
        message = (
            _("文件缺失,无法提供;已通知系统管理员从备份恢复")
            if reason == "missing"
            else _("文件已损坏(校验值与存档时不符),已拒绝提供;已通知系统管理员从备份恢复")
        )
        super().__init__(message, field="file")
        self.blob = blob
        self.reason = reason


def blob_read(blob: Blob) -> bytes:
    """The stored bytes, checked against the blob's SHA-256 (scans are content-addressed):
    a missing or damaged file raises BlobUnreadable instead of reaching anyone."""
    try:
        with blob_open(blob) as handle:
            data = handle.read()
    except FileNotFoundError:
        raise BlobUnreadable(blob, "missing") from None
    except OSError:
        raise BlobUnreadable(blob, "damaged") from None
    if len(data) != blob.size or hashlib.sha256(data).hexdigest() != blob.sha256:
        raise BlobUnreadable(blob, "damaged")
    return data


# Fixity reads in large blocks straight from the file (hashlib releases the GIL while it
# hashes, so threads checking several files use both cores): see benchmarks/fixity.py.
FIXITY_BUFFER = 4 * 1024 * 1024


def blob_fixity(blob: Blob) -> bool:
    """True when the stored bytes still hash to the blob's SHA-256."""
    return blob_fixity_state(blob) == "ok"


def blob_fixity_state(blob: Blob) -> str:
    """ "ok", "missing" or "damaged": the stored bytes against the blob's SHA-256."""
    try:
        path = default_storage.path(blob.storage_name)
    except NotImplementedError:  # object storage: through the storage API
        path = None
    digest = hashlib.sha256()
    try:
        if path is None:
            with blob_open(blob) as handle:
                while chunk := handle.read(FIXITY_BUFFER):
                    digest.update(chunk)
        else:
            _hash_file(path, digest)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "damaged"
    return "ok" if digest.hexdigest() == blob.sha256 else "damaged"


def _hash_file(path: str, digest: Any) -> None:
    """Feed a local file to `digest` through one reused buffer (no copies per block)."""
    buffer = bytearray(FIXITY_BUFFER)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
