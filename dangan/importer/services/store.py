"""The uploaded sheet, kept under the data dir while its job needs it."""

from __future__ import annotations

import datetime
import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError
from dangan.importer.models import ImportJob

# --- the stored file ------------------------------------------------------------------


def _store_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ImportJob) -> Path:
    return _store_dir() / job.sha256


def file_store(chunks: Iterable[bytes]) -> str:
    """Store an upload content-addressed (SHA-256) under the data dir; return the digest."""
    digest = hashlib.sha256()
    tmp = (
        _store_dir() / f".upload-{id(chunks)}-{datetime.datetime.now(tz=datetime.UTC).timestamp()}"
    )
    with tmp.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    final = _store_dir() / digest.hexdigest()
    if final.exists():
        tmp.unlink()
    else:
        shutil.move(tmp, final)
    return digest.hexdigest()


def _read_chunks(path: Path) -> Iterable[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
    except OSError:
        raise ApplicationError(_("无法读取文件"), field="file") from None
