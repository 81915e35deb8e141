"""Content-addressed file storage over Django's storage API (local or S3-compatible).

Bytes are stored under their SHA-256, so the same scan uploaded twice is stored once
and the stored name says nothing about the customer. The client's file name is only
metadata on the Attachment.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

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
    an unreferenced file (harmless, found by `dangan verify`), never a row without bytes."""
    blob = Blob(sha256=spooled.sha256, size=spooled.size, content_type=spooled.content_type)
    existing = Blob.objects.filter(sha256=spooled.sha256).first()
    if existing is not None and default_storage.exists(existing.storage_name):
        return existing
    if not default_storage.exists(blob.storage_name):
        spooled.handle.seek(0)
        saved = default_storage.save(blob.storage_name, File(spooled.handle))
        if saved != blob.storage_name:  # pragma: no cover - storage renamed a collision
            default_storage.delete(saved)
            raise ApplicationError(_("文件存储失败,请重试"), field="file")
    if existing is None:
        Blob.objects.bulk_create([blob], ignore_conflicts=True)
    return Blob.objects.get(sha256=spooled.sha256)


def blob_open(blob: Blob) -> IO[bytes]:
    handle: IO[bytes] = default_storage.open(blob.storage_name, "rb")
    return handle


def blob_fixity(blob: Blob) -> bool:
    """True when the stored bytes still hash to the blob's SHA-256."""
    digest = hashlib.sha256()
    try:
        with blob_open(blob) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == blob.sha256
