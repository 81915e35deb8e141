"""Files in storage that nothing references (SPEC C11: a killed upload leaves no orphan):
`dangan verify` lists them, `dangan verify --repair` removes them, recorded.

- a file under blobs/ whose name is no stored file's SHA-256 (an upload killed between
  writing the bytes and committing its row);
- a stored file (Blob row and bytes) that no document, or anything else, refers to;
- a temporary file: an upload being written (blobs/tmp/) or spooled by Django
  (FILE_UPLOAD_TEMP_DIR) whose process is gone.

Only what is older than GRACE counts: an upload in progress is not an orphan."""

from __future__ import annotations

import datetime
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dangan.audit.services import audit_record
from dangan.documents.models import Blob
from dangan.documents.storage import TEMP_DIR

GRACE = datetime.timedelta(hours=1)
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Orphan:
    kind: str  # "file" (no row), "blob" (row and bytes, unreferenced) or "temp"
    name: str  # storage name, or a path for Django's upload temp files
    size: int


def find_orphans(*, grace: datetime.timedelta = GRACE) -> list[Orphan]:
    """Every orphan older than `grace` (local storage; object storage is not listed)."""
    try:
        root = Path(default_storage.path("blobs"))
    except NotImplementedError:
        return []
    cutoff = time.time() - grace.total_seconds()
    found = list(_unnamed_files(root, cutoff))
    found += _unreferenced_blobs(timezone.now() - grace)
    found += _temp_files(Path(default_storage.path(TEMP_DIR)), cutoff, storage=True)
    upload_temp = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if upload_temp:
        found += _temp_files(Path(upload_temp), cutoff, storage=False)
    return found


def _old_files(root: Path, cutoff: float) -> Iterator[tuple[Path, os.stat_result]]:
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if stat.st_mtime < cutoff:
                yield path, stat


def _unnamed_files(root: Path, cutoff: float) -> Iterator[Orphan]:
    """Files under blobs/ (the temporary folder aside) that name no Blob row."""
    temp = Path(default_storage.path(TEMP_DIR))
    batch: dict[str, tuple[str, int]] = {}

    def settle() -> Iterator[Orphan]:
        known = set(Blob.objects.filter(sha256__in=list(batch)).values_list("sha256", flat=True))
        for sha, (name, size) in batch.items():
            if sha not in known:
                yield Orphan("file", name, size)
        batch.clear()

    for path, stat in _old_files(root, cutoff):
        if temp in path.parents:
            continue
        name = f"blobs/{path.relative_to(root).as_posix()}"
        blob = Blob(sha256=path.name)
        if not _SHA.fullmatch(path.name) or blob.storage_name != name:
            yield Orphan("file", name, stat.st_size)
            continue
        batch[path.name] = (name, stat.st_size)
        if len(batch) >= 1000:
            yield from settle()
    yield from settle()


def _unreferenced_blobs(before: datetime.datetime) -> list[Orphan]:
    """Stored files no row of any model refers to (every relation to Blob is asked)."""
    rows = Blob.objects.filter(created_at__lt=before)
    for relation in Blob._meta.related_objects:
        rows = rows.filter(**{f"{relation.name}__isnull": True})
    return [Orphan("blob", blob.storage_name, blob.size) for blob in rows.order_by("sha256")]


def _temp_files(root: Path, cutoff: float, *, storage: bool) -> list[Orphan]:
    if not root.is_dir():
        return []
    found = []
    for path, stat in _old_files(root, cutoff):
        name = f"{TEMP_DIR}/{path.relative_to(root).as_posix()}" if storage else str(path)
        found.append(Orphan("temp", name, stat.st_size))
    return found


def orphans_remove(orphans: list[Orphan]) -> int:
    """Remove the orphans found (each checked again just before), and record it."""
    removed: list[Orphan] = []
    for orphan in orphans:
        if orphan.kind == "blob":
            with transaction.atomic():
                sha = orphan.name.rsplit("/", 1)[-1]
                rows = Blob.objects.select_for_update().filter(sha256=sha)
                for relation in Blob._meta.related_objects:
                    rows = rows.filter(**{f"{relation.name}__isnull": True})
                if not rows.delete()[0]:
                    continue  # referenced meanwhile
            default_storage.delete(orphan.name)
        elif orphan.kind == "temp" and not orphan.name.startswith(TEMP_DIR):
            Path(orphan.name).unlink(missing_ok=True)
        else:
            if (
                orphan.kind == "file"
                and Blob.objects.filter(sha256=orphan.name.rsplit("/", 1)[-1]).exists()
            ):
                continue  # its upload committed meanwhile
            default_storage.delete(orphan.name)
        removed.append(orphan)
    if removed:
        audit_record(
            actor=None,
            action="repair",
            object_type="storage",
            object_repr="孤立文件",
            detail={
                "removed": len(removed),
                "bytes": sum(o.size for o in removed),
                "files": [f"{o.kind}:{o.name}" for o in removed[:200]],
            },
        )
    return len(removed)
