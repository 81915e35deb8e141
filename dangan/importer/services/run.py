"""Running a job: its batches, each committed with its report and the job's counters."""

from __future__ import annotations

import functools
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.core import bulk
from dangan.core.errors import ApplicationError
from dangan.importer import pipeline
from dangan.importer.models import ImportBatch, ImportJob
from dangan.importer.services import refused, store
from dangan.importer.services.jobs import _archive_type
from dangan.importer.services.lanes import _gate, _in_lanes, _lanes_possible, _Turn
from dangan.importer.services.liveness import job_alive, runner_here
from dangan.importer.services.mapping import unused_columns
from dangan.importer.services.parse import Parsed, RowError, Skipped, _parse_or_error
from dangan.importer.services.rows import (
    _KEY_FIELDS,
    _Batch,
    _create_rows,
    _errors_of,
    _NewRow,
    _note,
    _note_found,
    _prepare_row,
    _row_key,
    _update_row,
)
from dangan.search import services as search_services

# Rows per transaction: BATCH_SIZE, or a tenth of a larger sheet up to MAX_BATCH_SIZE. Every
# batch rewrites the index pages its rows touch, and the keyed ID hashes put those all
# over the indexes, so a larger batch writes each page once for more rows (100,000 rows
# into SQLite: 3,900-4,100 rows/s in 10,000-row batches, 3,400-3,600 in 2,000-row ones).
# The progress still moves ten times, and a crash loses at most one batch.
BATCH_SIZE = 2000
MAX_BATCH_SIZE = 10_000

# --- the job ----------------------------------------------------------------------------

Progress = Callable[[ImportJob], None]
# Of a row, counted per job. A skipped row (blank, or a totals row) is neither written
# nor refused.
OUTCOMES = ("created", "updated", "unchanged", "error", "skipped")


def _actor(job: ImportJob) -> User:
    # Roles prefetched once: every service call (and every audit entry) reads them.
    return User.objects.prefetch_related("roles").get(pk=job.created_by_id)


STATISTICS_AFTER = 10_000  # rows committed by one job: the planner's statistics are redone


def batch_size_for(total_rows: int) -> int:
    """Rows per batch for a sheet of `total_rows` (see BATCH_SIZE)."""
    return min(MAX_BATCH_SIZE, max(BATCH_SIZE, total_rows // 10))


def import_run(
    *, job: ImportJob, batch_size: int | None = None, progress: Progress | None = None
) -> ImportJob:
    """Run a job to the end. Each batch of rows commits with its report and the job's
    counters; a batch that fails unexpectedly is rolled back whole and the job stops.

    A job that already committed batches (it failed, or its process was killed) goes on
    after the last committed row: those rows are only read again to recognise later
    duplicates of them, and their reports are kept."""
    try:
        return _import(job, batch_size, progress)
    finally:
        # Each batch froze what it found alive (_run_batch); the collector gets it back
        # once the job is recorded, not while the job runs.
        gc.unfreeze()


def _import(job: ImportJob, batch_size: int | None, progress: Progress | None) -> ImportJob:
    actor = _actor(job)
    kept = list(job.batches.filter(committed=True).order_by("number")) if not job.dry_run else []
    ImportBatch.objects.filter(job=job).exclude(pk__in=[b.pk for b in kept]).delete()
    counts = dict.fromkeys(OUTCOMES, 0)
    for done in kept:
        for row in done.rows:
            counts[row.get("status", "error")] += 1
    committed: list[list[int]] = [[b.first_row, b.last_row] for b in kept]
    resume_after = kept[-1].last_row if kept else 0
    if kept:
        # The index entries of the last committed batches may not have been written
        # before the process died (they follow the commit).
        _index_batches([done for done in kept if not done.indexed])
    job.status = ImportJob.Status.RUNNING
    job.runner = runner_here()
    job.error = ""
    job.processed_rows = sum(b.last_row - b.first_row + 1 for b in kept)
    job.error_rows = counts["error"]
    job.committed_rows = job.processed_rows - counts["error"] - counts["skipped"]
    job.save(
        update_fields=[
            "status",
            "runner",
            "error",
            "processed_rows",
            "committed_rows",
            "error_rows",
            "updated_at",
        ]
    )
    try:
        atype = _archive_type(job.archive_type)
        parse = functools.partial(_parse_or_error, mapping=job.mapping)
        content = store.job_bytes(job)
        with (
            pipeline.parsed_sheet(content, job.original_name, parse) as sheet,
            bulk.page_cache(),
            bulk.deferred_checkpoints(),
            search_services.index_in_background(),
        ):
            job.total_rows = sheet.total
            size = batch_size or batch_size_for(sheet.total)
            seen: dict[str, int] = {}
            rows = _after(sheet.rows, resume_after, seen)

            def finished(batch: list[tuple[int, Parsed]], batch_counts: dict[str, int]) -> None:
                for key, value in batch_counts.items():
                    counts[key] += value
                if not job.dry_run:
                    committed.append([batch[0][0], batch[-1][0]])
                if progress:
                    progress(job)

            numbered = enumerate(_batches(rows, size), start=len(kept) + 1)
            if _lanes_possible():
                _in_lanes(job, actor, atype, numbered, seen, finished, _run_batch)
            else:
                for number, batch in numbered:
                    finished(batch, _run_batch(job, actor, atype, batch, number, seen))
    except ApplicationError as exc:
        return _fail(job, str(exc.message), counts, committed)
    except Exception as exc:
        return _fail(job, f"{type(exc).__name__}: {exc}", counts, committed)
    job.total_rows = job.processed_rows
    if not job.dry_run and job.committed_rows >= STATISTICS_AFTER and bulk.needs_statistics():
        bulk.refresh_statistics()
    job.status = ImportJob.Status.DONE
    job.report = {
        "counts": counts,
        "committed": committed,
        "dry_run": job.dry_run,
        "unused_columns": unused_columns(job.mapping),
    }
    if kept:
        job.report["resumed_after_row"] = resume_after
    job.refused, job.report["skipped"] = refused.keep(job, content)
    job.save(update_fields=["status", "total_rows", "report", "refused", "updated_at"])
    if not job.dry_run:
        store.release(job.sha256)  # the job has ended: its sheet is no longer kept
    if progress:
        progress(job)
    return job


def _batch_indexed(batch_id: int) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(indexed=True)


def _index_batches(batches: list[ImportBatch]) -> None:
    """Write the search entries of these committed batches' customers, and note it."""
    if not batches:
        return
    customers = [row["customer"] for done in batches for row in done.rows if "customer" in row]
    search_services.index_customers(customers)
    ImportBatch.objects.filter(pk__in=[done.pk for done in batches]).update(indexed=True)


def import_index_pending() -> int:
    """Write the search entries that a dead import never wrote: those of the committed
    batches of jobs not running (failed, or killed: liveness.job_alive) whose entries
    were still to follow their commit. `dangan worker` (which
    `dangan serve` starts) calls it as it starts, so the customers of an import killed
    and never resumed are found again. Returns how many batches it indexed."""
    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    live = [job.pk for job in running if job_alive(job)]
    pending = list(ImportBatch.objects.filter(committed=True, indexed=False).exclude(job__in=live))
    _index_batches(pending)
    return len(pending)


def _after(
    rows: Iterable[tuple[int, Parsed]], resume_after: int, seen: dict[str, int]
) -> Iterator[tuple[int, Parsed]]:
    """The rows after `resume_after`. The ones up to it were committed before a resume:
    their keys are noted in `seen`, so a later copy is still reported as a duplicate."""
    for row_number, data in rows:
        if row_number > resume_after:
            yield row_number, data
        elif isinstance(data, dict):
            _note(seen, data, row_number)


def _batches(rows: Iterable[tuple[int, Parsed]], size: int) -> Iterator[list[tuple[int, Parsed]]]:
    """`rows` in lists of `size`, the last one shorter (itertools.batched, Python 3.12)."""
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _fail(
    job: ImportJob, message: str, counts: dict[str, int], committed: list[list[int]]
) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.error = message[:2000]
    job.report = {
        "counts": counts,
        "committed": committed,
        "dry_run": job.dry_run,
        "stopped_after_row": committed[-1][1] if committed else None,
    }
    job.save(update_fields=["status", "error", "report", "updated_at"])
    return job


def _run_batch(
    job: ImportJob,
    actor: User,
    atype: ArchiveType | None,
    rows: list[tuple[int, Parsed]],
    number: int,
    seen: dict[str, int],
    *,
    before: _Turn | None = None,
    turn: _Turn | None = None,
) -> dict[str, int]:
    """One batch in one transaction; rolled back at the end in a dry run; returns its
    counts. A row refused by a business rule is reported and skipped (a refused update
    rolls back its own savepoint; new customers are validated before the bulk insert);
    anything else aborts the whole batch. In a lane (_in_lanes), `before` is how far the
    batch before has got, and `turn` is told when this one has checked its rows."""
    # What is alive now outlives the batch (the process's modules, the segmenter's
    # dictionaries, the job): left in the collector's view, every full collection walks
    # all of it again, a tenth of an import's time. import_run unfreezes it at the end.
    gc.freeze()
    report: list[dict[str, Any]] = []
    gate = _gate(before)
    with transaction.atomic():
        batch = _Batch(actor, atype, gate)
        batch.prefetch([data for _row_number, data in rows if isinstance(data, dict)])
        if before is not None:
            before.checked.wait()
        new_rows: list[_NewRow] = []
        for row_number, data in rows:
            entry: dict[str, Any] = {"row": row_number}
            report.append(entry)
            row_type: ArchiveType | None = None
            if isinstance(data, Skipped):
                entry.update(status="skipped", reason=data.reason)
                continue
            try:
                if isinstance(data, RowError):
                    entry["name"] = data.name
                    raise data
                entry["name"] = str(data.get("name", ""))
                key = _row_key(data)
                if key in seen:
                    field = _KEY_FIELDS[key.partition(":")[0]]
                    raise ApplicationError(
                        _("与第 %(row)s 行重复") % {"row": seen[key]}, field=field
                    )
                _note(seen, data, row_number)
                customer, row_type, custom = _prepare_row(batch, data)
                if customer is None:
                    new_rows.append(_NewRow(entry, data, row_type, custom))
                    continue
                _note_found(seen, customer, row_number)
                # Customer changes and dossier stand or fall together.
                with transaction.atomic():
                    entry["status"], notes = _update_row(batch, customer, data, row_type, custom)
                entry["customer"] = customer.pk
                if notes:
                    entry["notes"] = [str(n) for n in notes]
            except RowError as exc:
                entry.update(status="error", errors=exc.errors)
            except ApplicationError as exc:
                entry.update(status="error", errors=_errors_of(exc, row_type))
        if turn is not None:
            turn.checked.set()
        _create_rows(batch, new_rows, kept=not job.dry_run)
        batch_counts = dict.fromkeys(OUTCOMES, 0)
        for entry in report:
            batch_counts[entry["status"]] += 1
        gate()
        if job.dry_run:
            transaction.set_rollback(True)
        else:
            _record_batch(job, number, rows, report, batch_counts, committed=True)
    if job.dry_run:
        with transaction.atomic():
            _record_batch(job, number, rows, report, batch_counts, committed=False)
    return batch_counts


def _record_batch(
    job: ImportJob,
    number: int,
    rows: list[tuple[int, Parsed]],
    report: list[dict[str, Any]],
    batch_counts: dict[str, int],
    *,
    committed: bool,
) -> None:
    batch = ImportBatch.objects.create(
        job=job,
        number=number,
        first_row=rows[0][0],
        last_row=rows[-1][0],
        committed=committed,
        rows=report,
        indexed=not committed,
    )
    if committed:  # after the rows' own index writes, queued before it
        search_services.index_after_commit(_batch_indexed, batch.pk)
    job.processed_rows += len(rows)
    job.error_rows += batch_counts["error"]
    if committed:
        job.committed_rows += len(rows) - batch_counts["error"] - batch_counts["skipped"]
    job.save(update_fields=["processed_rows", "error_rows", "committed_rows", "updated_at"])
