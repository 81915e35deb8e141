"""Import jobs: creating one for an upload, finding the actor's own, committing a
dry run, resuming a failed or killed one."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.audit.services import audit_record
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.importer import readers
from dangan.importer.models import ImportJob
from dangan.importer.services.mapping import guess_mapping
from dangan.importer.services.store import _read_chunks, file_store, job_file

STALE_AFTER = datetime.timedelta(minutes=5)  # a running job without progress this long died


def _archive_type(code: str) -> ArchiveType | None:
    if not code:
        return None
    found = ArchiveType.objects.filter(code=code.strip()).first()
    if found is None:
        raise ApplicationError(_("未知的档案类型“%(code)s”") % {"code": code}, field="archive_type")
    return found


@transaction.atomic
def import_job_create(
    *,
    actor: User,
    upload: UploadedFile[bytes] | None = None,
    path: Path | None = None,
    name: str = "",
    archive_type: str = "",
    dry_run: bool = True,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Store the file, check that it can be read, and record a pending job."""
    policy.require(actor, perms.DATA_IMPORT)
    policy.require(actor, perms.CUSTOMER_CREATE)
    atype = _archive_type(archive_type)
    if upload is not None:
        sha = file_store(upload.chunks())
        name = upload.name or "upload"
    elif path is not None:
        sha = file_store(_read_chunks(path))
        name = name or path.name
    else:
        raise ApplicationError(_("请选择要导入的文件"), field="file")
    job = ImportJob(
        sha256=sha,
        original_name=name[:200],
        archive_type=atype.code if atype else "",
        dry_run=dry_run,
        created_by=actor,
    )
    sheet = readers.open_sheet(job_file(job), job.original_name)
    job.mapping = mapping or guess_mapping(sheet.headers, atype)
    job.total_rows = sheet.total
    job.save()
    return job


def job_for(actor: User, job_id: Any) -> ImportJob:
    """A job is seen by the user who started it; anyone else is told it does not exist."""
    policy.require(actor, perms.DATA_IMPORT)
    try:
        key = int(job_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    job = ImportJob.objects.filter(pk=key, created_by=actor).first()
    if job is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return job


@transaction.atomic
def import_job_commit(*, actor: User, job: ImportJob) -> ImportJob:
    """After a dry run: a new job for the same file and mapping that writes."""
    job = job_for(actor, job.pk)
    if job.status != ImportJob.Status.DONE or not job.dry_run:
        raise ApplicationError(_("只能在试导入完成后确认导入"))
    return ImportJob.objects.create(
        sha256=job.sha256,
        original_name=job.original_name,
        archive_type=job.archive_type,
        mapping=job.mapping,
        dry_run=False,
        total_rows=job.total_rows,
        created_by=actor,
    )


def job_resumable(job: ImportJob) -> bool:
    """Failed, or running without progress for STALE_AFTER (its process was killed)."""
    if job.status == ImportJob.Status.FAILED:
        return True
    stale = timezone.now() - STALE_AFTER
    return job.status == ImportJob.Status.RUNNING and job.updated_at < stale


@transaction.atomic
def import_job_resume(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue a failed or dead job again; it goes on after its last committed batch."""
    job = job_for(actor, job.pk)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_resumable(job):
        raise InvalidTransition(_("只有失败或已中断的导入任务可以继续"))
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="import_resume",
        obj=job,
        detail={"after_row": job.committed_rows, "file": job.original_name},
    )
    return job
