"""Backups asked for on the page or by the API run in the background worker."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from dangan.backups import services
from dangan.backups.models import BackupRun


@task()
def backup_run(run_id: int) -> str:
    run = BackupRun.objects.get(pk=run_id)
    try:
        return services.backup_execute(run=run).state
    except Exception:  # recorded, audited and noticed by backup_execute
        return BackupRun.State.FAILED


def backup_enqueue(run: BackupRun) -> None:
    transaction.on_commit(lambda: backup_run.enqueue(run.pk))
