"""Fixity: every stored file against the SHA-256 it is named by (SPEC C11), fast.

Files are hashed in large blocks (storage.FIXITY_BUFFER) by a few threads: hashlib
releases the GIL while it hashes, so on a 2-core machine two files are hashed at once and
the check keeps up with `sha256sum` (benchmarks/fixity.py; SPEC §6: at least 70 %)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from dangan import config
from dangan.documents.models import Blob
from dangan.documents.storage import blob_fixity_state

BATCH = 512  # blobs handed to the threads at a time (the rows are read in chunks)


@dataclass
class FixityReport:
    checked: int = 0
    bytes: int = 0
    seconds: float = 0.0
    # (sha256, "missing" | "damaged") of every file that failed, in sha256 order.
    bad: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


def fixity_threads() -> int:
    return max(1, config.env_int("DANGAN_FIXITY_THREADS", min(4, os.cpu_count() or 1)))


def fixity_check(*, threads: int | None = None) -> FixityReport:
    """Hash every stored file; the files that are missing or no longer match."""
    report = FixityReport()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads or fixity_threads()) as pool:
        for batch in _batches():
            for blob, state in zip(batch, pool.map(blob_fixity_state, batch), strict=True):
                report.checked += 1
                report.bytes += blob.size
                if state != "ok":
                    report.bad.append((blob.sha256, state))
    report.seconds = time.monotonic() - started
    return report


def _batches() -> Iterator[list[Blob]]:
    batch: list[Blob] = []
    rows = Blob.objects.order_by("sha256").only("sha256", "size", "content_type")
    for blob in rows.iterator(chunk_size=2000):
        batch.append(blob)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
