"""Import jobs: creating one for an upload, finding the actor's own, committing a
dry run, resuming a failed or killed one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.audit.services import audit_record
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.importer import readers
from dangan.importer.models import ImportJob
from dangan.importer.services import store
from dangan.importer.services.liveness import Runner, job_alive
from dangan.importer.services.mapping import guess_mapping, mapping_override, mapping_remember
from dangan.importer.services.store import _read_chunks, file_store


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
    overrides: dict[str, str] | None = None,
) -> ImportJob:
    """Store the file, check that it can be read, and record a pending job. Its columns
    are mapped as `mapping` says, else as remembered or guessed from the headers, with
    the user's `overrides` (header → field key or label, mapping_override) on top."""
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
    try:
        sheet = readers.open_sheet(store.job_bytes(job), job.original_name)
    except ApplicationError:
        store.release(sha)  # unreadable: no job will use it
        raise
    job.mapping = mapping or guess_mapping(sheet.headers, atype)
    if overrides:
        try:
            job.mapping = mapping_override(sheet.headers, job.mapping, overrides, atype)
        except ApplicationError:
            store.release(sha)
            raise
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
def import_job_map(*, actor: User, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Before the run: the user's own mapping of the job's columns (header → field key
    or label; "" not imported), remembered for the same header row next time."""
    job = job_for(actor, job.pk)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PENDING:
        raise InvalidTransition(_("导入已经开始,不能再修改列映射"))
    # In the sheet's order (a JSON object's keys come back sorted from PostgreSQL).
    headers = readers.open_sheet(store.job_bytes(job), job.original_name).headers
    job.mapping = mapping_override(headers, job.mapping, mapping, _archive_type(job.archive_type))
    job.save(update_fields=["mapping", "updated_at"])
    mapping_remember(headers, job.mapping)
    return job


@transaction.atomic
def import_job_commit(*, actor: User, job: ImportJob) -> ImportJob:
    """After a dry run: a new job for the same file and mapping that writes."""
    job = job_for(actor, job.pk)
    if job.status != ImportJob.Status.DONE or not job.dry_run:
        raise ApplicationError(_("只能在试导入完成后确认导入"))
    if not store.job_file(job).exists():
        raise ApplicationError(_("导入的文件已删除(导入结束后不再保留),请重新上传"), field="file")
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
    """Failed, or running in a process that is gone (killed): see liveness.job_alive."""
    if job.status == ImportJob.Status.FAILED:
        return True
    return job.status == ImportJob.Status.RUNNING and not job_alive(job)


def job_cancellable(job: ImportJob) -> bool:
    """A job that will not go on by itself: failed, killed, or a dry run done."""
    done_dry = job.status == ImportJob.Status.DONE and job.dry_run
    return done_dry or job_resumable(job)


def import_job_cancel(*, actor: User, job: ImportJob) -> ImportJob:
    """Give up a failed or killed job (what it committed stays), or a dry run that will
    not be committed: its sheet is deleted now rather than kept for a resume."""
    job = job_for(actor, job.pk)
    if job.status == ImportJob.Status.RUNNING and not job_resumable(job):
        # Said before the write lock is asked for: on SQLite a live import holds it.
        raise _not_resumable(job)
    return _cancel(actor, job)


@transaction.atomic
def _cancel(actor: User, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_cancellable(job):
        if job.status == ImportJob.Status.RUNNING:
            raise _not_resumable(job)
        raise InvalidTransition(_("只有失败、已中断或试导入完成的任务可以取消"))
    was = job.status
    job.status = ImportJob.Status.CANCELLED
    job.save(update_fields=["status", "updated_at"])
    deleted = store.release(job.sha256)
    audit_record(
        actor=actor,
        action="import_cancel",
        obj=job,
        detail={"was": was, "committed_rows": job.committed_rows, "file_deleted": deleted},
    )
    return job


def _not_resumable(job: ImportJob) -> InvalidTransition:
    """Why a job cannot be resumed, said plainly."""
    if job.status == ImportJob.Status.RUNNING:
        runner = Runner.of(job)
        if runner is not None:
            return InvalidTransition(
                _("导入仍在进行中(主机 %(host)s 上的进程 %(pid)s 正在运行),请等待其完成")
                % {"host": runner.host, "pid": runner.pid}
            )
        return InvalidTransition(_("导入仍在进行中,请等待其完成"))
    if job.status == ImportJob.Status.PENDING:
        return InvalidTransition(_("导入任务正在排队,尚未开始"))
    return InvalidTransition(_("导入任务已完成,无需继续"))


def import_job_resume(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue a failed or dead job again; it goes on after its last committed batch."""
    job = job_for(actor, job.pk)
    if not job_resumable(job):
        # Said before the write lock is asked for: on SQLite a live import holds it
        # while it writes a batch, and the answer is the same under the lock.
        raise _not_resumable(job)
    return _resume(actor, job)


@transaction.atomic
def _resume(actor: User, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_resumable(job):
        raise _not_resumable(job)
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="import_resume",
        obj=job,
        detail={"after_row": job.committed_rows, "file": job.original_name},
    )
    return job
