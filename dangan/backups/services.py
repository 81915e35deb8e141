"""Backups as business actions: asked for, run, recorded, pruned, scheduled, noticed."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record
from dangan.backups import writer
from dangan.backups.models import BackupRun
from dangan.backups.schedule import Schedule
from dangan.core.errors import ApplicationError

PASSPHRASE_ENV = "DANGAN_BACKUP_PASSPHRASE"  # noqa: S105 - a variable's name
# A scheduled time this long past without a run counts as missed (the worker was down).
MISSED_AFTER = datetime.timedelta(hours=1)


def keep_count() -> int:
    raw = os.environ.get("DANGAN_BACKUP_KEEP", "")
    return max(1, int(raw)) if raw.isdigit() else 8


def schedule() -> Schedule:
    return Schedule(os.environ.get("DANGAN_BACKUP_SCHEDULE", "") or "weekly")


@transaction.atomic
def backup_request(*, actor: User | None, trigger: str = BackupRun.Trigger.MANUAL) -> BackupRun:
    """Ask for a backup (the page's 立即备份, the API): queued for the worker."""
    if actor is not None:
        policy.require(actor, perms.SYSTEM_BACKUP)
    run = BackupRun.objects.create(trigger=trigger, requested_by=actor)
    audit_record(actor=actor, action="backup_request", obj=run, object_repr=str(run))
    return run


def backup_execute(
    *,
    run: BackupRun,
    passphrase: str | None = None,
    destination: Path | None = None,
    prune: bool = True,
) -> BackupRun:
    """Write the backup of a queued run and record how it went; a failure is recorded,
    noticed to the system administrators and re-raised. `prune`: keep only the last
    DANGAN_BACKUP_KEEP backups in the destination."""
    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV, "")
    destination = destination or writer.default_destination()
    with transaction.atomic():
        run = BackupRun.objects.select_for_update().get(pk=run.pk)
        if run.state != BackupRun.State.QUEUED:
            return run
        run.state, run.started_at = BackupRun.State.RUNNING, timezone.now()
        run.save(update_fields=["state", "started_at"])
    try:
        if not passphrase:
            raise ApplicationError(
                _("未设置备份口令 DANGAN_BACKUP_PASSPHRASE,无法加密密钥文件,备份未进行"),
                field="passphrase",
            )
        result = writer.backup_write(destination=destination, passphrase=passphrase)
    except Exception as exc:
        message = str(getattr(exc, "message", "") or exc)
        _finish_failed(run, message)
        raise
    with transaction.atomic():
        run.state, run.finished_at = BackupRun.State.SUCCEEDED, timezone.now()
        run.path, run.size, run.records, run.files = (
            str(result.path),
            result.size,
            result.records,
            result.files,
        )
        run.audit_seq, run.audit_hash = result.audit_seq, result.audit_hash
        run.error = "; ".join(result.warnings)
        run.save()
        audit_record(
            actor=None,
            action="backup",
            obj=run,
            object_repr=result.path.name,
            detail={
                "path": str(result.path),
                "size": result.size,
                "records": result.records,
                "files": result.files,
                "audit_head": {"seq": result.audit_seq, "hash": result.audit_hash},
                "warnings": result.warnings,
            },
        )
    if result.warnings:
        notify_admins(
            _("备份已完成,但有 %(n)s 个文件缺失或损坏未能备份,请运行 dangan verify 检查")
            % {"n": len(result.warnings)},
            key=f"backup-warn-{run.pk}",
        )
    if prune:
        backups_prune(destination=destination, keep=keep_count())
    from dangan.backups.rotate import rotated_copies_drop

    rotated_copies_drop(Path(settings.DATA_DIR))  # the backup now holds the current keys
    return run


def _finish_failed(run: BackupRun, message: str) -> None:
    with transaction.atomic():
        run.state, run.finished_at, run.error = BackupRun.State.FAILED, timezone.now(), message
        run.save(update_fields=["state", "finished_at", "error"])
        audit_record(
            actor=None,
            action="backup",
            obj=run,
            outcome=AuditEntry.Outcome.FAILED,
            detail={"reason": message},
        )
    notify_admins(_("备份失败:%(reason)s") % {"reason": message}, key=f"backup-fail-{run.pk}")


def notify_admins(text: str, *, key: str = "") -> None:
    """A notice to everyone who looks after backups (the system administrators)."""
    from dangan.circulation.services import notify

    codes = [role.code for role in Role.objects.all() if perms.SYSTEM_BACKUP in role.permissions]
    users = User.objects.filter(is_active=True, roles__code__in=codes).distinct()
    for user in users:
        notify(user=user, text=text, link="/backups/", key=f"{key}-{user.pk}" if key else "")


def backups_prune(*, destination: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups in `destination` (and stale
    partial ones, left by a crash, older than a day)."""
    if not destination.is_dir():
        return []
    bags = sorted(
        p
        for p in destination.iterdir()
        if p.is_dir() and p.name.startswith(writer.PREFIX) and (p / "bagit.txt").exists()
    )
    removed = bags[:-keep] if keep > 0 else []
    day_ago = timezone.now().timestamp() - 86400
    for partial in destination.glob(f".{writer.PREFIX}*.partial"):
        if partial.stat().st_mtime < day_ago:
            removed.append(partial)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def scheduled_tick(*, now: datetime.datetime | None = None) -> BackupRun | None:
    """Called by the worker every few minutes: run the backup of the latest scheduled time
    if none has started since; one whose time is long past is recorded as missed (a
    notice) and run now."""
    now = timezone.localtime(now or timezone.now())
    due = schedule().previous(now)
    if due is None or due < _instance_made():
        return None  # nothing was due since this instance (or this check) exists
    if BackupRun.objects.filter(trigger=BackupRun.Trigger.SCHEDULE, created_at__gte=due).exists():
        return None
    if now - due > MISSED_AFTER:
        BackupRun.objects.create(
            trigger=BackupRun.Trigger.SCHEDULE,
            state=BackupRun.State.MISSED,
            finished_at=now,
            error=_("计划于 %(at)s 的备份未按时进行(后台任务未运行),现补做")
            % {"at": due.strftime("%Y-%m-%d %H:%M")},
        )
        notify_admins(
            _("计划于 %(at)s 的备份错过了,已开始补做;请确认后台任务 (dangan worker) 在运行")
            % {"at": due.strftime("%Y-%m-%d %H:%M")},
            key=f"backup-missed-{due.isoformat()}",
        )
    run = backup_request(actor=None, trigger=BackupRun.Trigger.SCHEDULE)
    try:
        return backup_execute(run=run)
    except Exception:  # recorded and noticed by backup_execute
        run.refresh_from_db()
        return run


def _instance_made() -> datetime.datetime:
    from dangan.backups.models import KeyCheck

    made = KeyCheck.objects.order_by("pk").values_list("created_at", flat=True).first()
    return made or timezone.now()


def backup_list(*, actor: User) -> list[BackupRun]:
    policy.require(actor, perms.SYSTEM_BACKUP)
    return list(BackupRun.objects.select_related("requested_by")[:100])


def next_scheduled() -> datetime.datetime | None:
    """When the schedule next runs a backup (within a year), in local time."""
    plan = schedule()
    now = timezone.localtime()
    for days in range(1, 373):
        found = plan.previous(now + datetime.timedelta(days=days))
        if found is not None and found > now:
            # The earliest time after now: step back while an earlier one is still later.
            earlier = plan.previous(found - datetime.timedelta(minutes=1))
            while earlier is not None and earlier > now:
                found, earlier = earlier, plan.previous(earlier - datetime.timedelta(minutes=1))
            return found
    return None


def backup_destination_info() -> dict[str, object]:
    """What the page says about where backups go and what they cover."""
    return {
        "destination": str(writer.default_destination()),
        "schedule": os.environ.get("DANGAN_BACKUP_SCHEDULE", "") or "weekly",
        "keep": keep_count(),
        "passphrase_set": bool(os.environ.get(PASSPHRASE_ENV)),
        "storage": writer._storage_kind(),
        "time_zone": settings.TIME_ZONE,
    }
