"""`dangan verify`: fixity of every stored file and the audit hash chain; the same check
on the worker's schedule (DANGAN_FIXITY_SCHEDULE), recorded and reported."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.audit.models import AuditEntry
from dangan.audit.services import ChainHead, audit_record, audit_verify, chain_head
from dangan.documents.fixity import FixityReport, fixity_check

FIXITY_ACTION = "fixity"


def verify_all(
    *, anchor: ChainHead | None = None, repair: bool = False
) -> Iterator[tuple[str, bool]]:
    report = fixity_check()
    yield from fixity_lines(report)
    yield from orphan_lines(repair=repair)
    yield from verify_chain(anchor=anchor)


_ORPHAN_KINDS = {
    "file": "无记录的文件 (no row)",
    "blob": "无引用的存储文件 (unreferenced)",
    "temp": "残留临时文件 (temporary)",
}


def orphan_lines(*, repair: bool) -> Iterator[tuple[str, bool]]:
    """Orphan files (a killed upload's): each listed; with `repair` removed (audited)."""
    from dangan.documents.orphans import find_orphans, orphans_remove

    orphans = find_orphans()
    for orphan in orphans:
        yield (f"孤立文件 {_ORPHAN_KINDS[orphan.kind]}: {orphan.name} ({orphan.size} B)", repair)
    if not orphans:
        yield ("孤立文件: 无 (no orphan files)", True)
    elif repair:
        removed = orphans_remove(orphans)
        yield (f"已删除 {removed} 个孤立文件,已记入审计日志 (orphans removed)", True)
    else:
        yield (f"孤立文件: {len(orphans)} 个;运行 dangan verify --repair 删除", False)


def fixity_lines(report: FixityReport) -> Iterator[tuple[str, bool]]:
    for sha256, state in report.bad:
        what = "缺失 (missing)" if state == "missing" else "损坏 (damaged)"
        yield (f"文件{what} (fixity) sha256={sha256}", False)
    mib = report.bytes / 1024 / 1024
    yield (
        f"文件完整性: 已校验 {report.checked} 个文件 ({mib:.0f} MiB, {report.seconds:.1f} s),"
        f" {len(report.bad)} 个异常",
        report.ok,
    )


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


# --- the scheduled check --------------------------------------------------------------


def fixity_schedule() -> str:
    """DANGAN_FIXITY_SCHEDULE: "weekly" (the default: Sunday from 03:00), "daily" (from
    03:00) or "off"."""
    return os.environ.get("DANGAN_FIXITY_SCHEDULE", "weekly").strip().lower() or "weekly"


def fixity_due(*, now: datetime.datetime | None = None, schedule: str | None = None) -> bool:
    """Whether a scheduled check is owed: none has run since the last scheduled time (a
    machine that was off then catches up when it starts)."""
    schedule = schedule or fixity_schedule()
    if schedule == "off":
        return False
    now = timezone.localtime(now or timezone.now())
    slot = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if schedule == "weekly":
        slot -= datetime.timedelta(days=(now.weekday() + 1) % 7)  # back to Sunday
    if slot > now:
        slot -= datetime.timedelta(days=7 if schedule == "weekly" else 1)
    return not AuditEntry.objects.filter(action=FIXITY_ACTION, at__gte=slot).exists()


def fixity_run() -> bool:
    """Run the whole check (files and audit chain), record it in the audit trail and tell
    the system administrators when anything failed. True when all is well."""
    from dangan.documents.services import blob_damage_notify

    report = fixity_check()
    problems = list(audit_verify())
    ok = report.ok and not problems
    audit_record(
        actor=None,
        action=FIXITY_ACTION,
        object_type="storage",
        object_repr="文件完整性与审计链",
        outcome=AuditEntry.Outcome.SUCCESS if ok else AuditEntry.Outcome.FAILED,
        detail={
            "checked": report.checked,
            "bytes": report.bytes,
            "seconds": round(report.seconds, 1),
            "bad": [{"sha256": sha, "state": state} for sha, state in report.bad[:100]],
            "bad_count": len(report.bad),
            "chain": "intact" if not problems else f"{problems[0].seq}: {problems[0].reason}",
        },
    )
    for sha256, state in report.bad[:20]:
        blob_damage_notify(sha256=sha256, reason=state)
    if problems:
        _chain_notify(problems[0].seq, problems[0].reason_text)
    return ok


def _chain_notify(seq: int, reason: str) -> None:
    from dangan.accounts import policy
    from dangan.circulation.services import notify

    day = timezone.localdate().isoformat()
    text = _(
        "审计日志哈希链在第 %(seq)s 条处断开(%(reason)s)。"
        "请运行 dangan verify 并检查数据库是否被篡改。"
    ) % {"seq": seq, "reason": reason}
    for admin in policy.office_holders("sysadmin", None):
        notify(user=admin, text=text, key=f"chain:{seq}:{day}:{admin.pk}")
