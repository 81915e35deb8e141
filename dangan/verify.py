"""`dangan verify`: fixity of every stored file and the audit hash chain."""

from __future__ import annotations

from collections.abc import Iterator

from dangan.audit.services import ChainHead, audit_verify, chain_head
from dangan.documents.models import Blob
from dangan.documents.storage import blob_fixity


def verify_all(*, anchor: ChainHead | None = None) -> Iterator[tuple[str, bool]]:
    checked = bad = 0
    for blob in Blob.objects.order_by("sha256").iterator(chunk_size=500):
        checked += 1
        if not blob_fixity(blob):
            bad += 1
            yield (f"文件损坏或缺失 (fixity) sha256={blob.sha256}", False)
    yield (f"文件完整性: 已校验 {checked} 个文件, {bad} 个异常", bad == 0)
    yield from verify_chain(anchor=anchor)


def verify_chain(*, anchor: ChainHead | None = None) -> Iterator[tuple[str, bool]]:
    """The audit chain's lines: its first problem (or that it is intact), the head, and
    the saved anchor it was checked against."""
    problems = list(audit_verify(anchor=anchor))
    for problem in problems:
        yield (f"审计日志第 {problem.seq} 条异常: {problem.reason_text} ({problem.reason})", False)
    if not problems:
        yield ("审计日志哈希链完整 (audit chain intact, keyed)", True)
        if anchor is not None:
            yield (f"审计链与保存的链头一致 (matches anchor {anchor.describe()})", True)
    yield (f"审计链头 (audit head): {chain_head().describe()}", True)
