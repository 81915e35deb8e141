"""Index writes on a thread of their own while an import runs (search.services
index_in_background): on PostgreSQL they run there, in order, and the block ends only
when all have run; a failure reaches the caller; elsewhere they run at once."""

from __future__ import annotations

import datetime
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from dangan.core.identifiers import make_resident_id
from dangan.customers.models import Customer
from dangan.importer.models import ImportBatch
from dangan.importer.services import import_job_create, import_run
from dangan.importer.tests.helpers import xlsx_bytes
from dangan.search import index, services
from dangan.search.models import SearchEntry
from dangan.search.tests.test_search import count, first

pytestmark = pytest.mark.django_db(transaction=True)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def test_writes_queued_after_commit_run_in_order_before_the_block_ends() -> None:
    ran: list[tuple[int, int]] = []
    gate = threading.Event()

    def write(n: int) -> None:
        if n == 0:
            gate.wait(5)  # the caller goes on meanwhile (PostgreSQL)
        ran.append((n, threading.get_ident()))

    with services.index_in_background():
        for n in range(3):  # one running, QUEUED waiting
            with transaction.atomic():
                services.index_after_commit(write, n)
        if _postgres():
            assert ran == []  # queued, not yet run: the first one waits for the gate
        gate.set()
        for n in range(3, 5):
            with transaction.atomic():
                services.index_after_commit(write, n)
    assert [n for n, _thread in ran] == [0, 1, 2, 3, 4]
    threads = {thread for _n, thread in ran}
    if _postgres():
        assert threads == {next(iter(threads))} != {threading.get_ident()}
    else:
        assert threads == {threading.get_ident()}


def test_another_thread_writes_to_the_block_s_writer_and_its_own_comes_back() -> None:
    """index_writes_to: a thread working for the block (an import's lanes) queues its
    writes to the block's writer; the thread's own setting is back after."""
    ran: list[int] = []
    with services.index_in_background():
        writer = services.index_writer()
        assert (writer is not None) == _postgres()

        def lane() -> None:
            with services.index_writes_to(writer):
                assert services.index_writer() is writer
                with transaction.atomic():
                    services.index_after_commit(ran.append, 1)
            assert services.index_writer() is None

        thread = threading.Thread(target=lane)
        thread.start()
        thread.join()
        with services.index_writes_to(None):  # this thread, for a moment, writes at once
            with transaction.atomic():
                services.index_after_commit(ran.append, 2)
            assert ran[-1:] == [2]
        assert services.index_writer() is writer
    assert sorted(ran) == [1, 2]


def test_a_write_rolled_back_with_its_transaction_never_runs() -> None:
    ran: list[int] = []
    with services.index_in_background(), transaction.atomic():
        services.index_after_commit(ran.append, 1)
        transaction.set_rollback(True)
    assert ran == []


def test_a_failed_write_is_raised_in_the_caller_and_the_rest_are_skipped() -> None:
    ran: list[int] = []

    def fail() -> None:
        raise RuntimeError("index write failed")

    with pytest.raises(RuntimeError, match="index write failed"), services.index_in_background():
        with transaction.atomic():
            services.index_after_commit(fail)
        with transaction.atomic():
            services.index_after_commit(ran.append, 2)
    if _postgres():
        assert ran == []


def test_inside_a_transaction_it_writes_at_once() -> None:
    ran: list[int] = []
    with transaction.atomic(), services.index_in_background():
        services._run_or_queue(ran.append, (1,))
        assert ran == [1]


def test_an_import_has_indexed_every_row_when_it_returns(tmp_path: Path, alice: Any) -> None:
    rng = random.Random(11)  # noqa: S311
    rows = [["姓名", "身份证号", "手机"]]
    for i in range(30):
        number = make_resident_id(rng, birth=datetime.date(1980, 1, 1 + i))
        rows.append([f"欧阳{'一二三四五六七八九十'[i % 10]}{i}", number, f"1390000{i:04d}"])
    path = tmp_path / "客户.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    job = import_job_create(actor=alice, path=path, dry_run=False)
    job = import_run(job=job, batch_size=7)  # five batches, five queued writes
    assert job.status == job.Status.DONE, job.error
    assert Customer.objects.count() == 30
    indexed = SearchEntry.objects.filter(kind=SearchEntry.Kind.CUSTOMER)
    assert indexed.count() == 30
    assert first(alice, "13900000029", "customer") == "欧阳十29"


def _sheet(tmp_path: Path, surname: str, count: int) -> Path:
    """A sheet of `count` new individuals named surname + number, with valid ID numbers."""
    rng = random.Random(surname)  # noqa: S311
    rows = [["姓名", "身份证号"]]
    for i in range(count):
        rows.append([f"{surname}{i}", make_resident_id(rng, birth=datetime.date(1970, 2, 1 + i))])
    path = tmp_path / "客户.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    return path


def test_a_resumed_import_writes_the_entries_its_dead_run_may_have_lost(
    tmp_path: Path, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entries of a committed batch follow its commit; a process that dies in
    between leaves that batch's customers unindexed. Resuming writes them again."""
    from dangan.importer import services as importer
    from dangan.importer.services import run

    path = _sheet(tmp_path, "司马", 12)
    job = import_job_create(actor=alice, path=path, dry_run=False)
    real = run._create_rows
    calls: list[int] = []

    def dies_in_the_second_batch(batch: Any, new_rows: Any, **options: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the process died")
        real(batch, new_rows, **options)

    monkeypatch.setattr(run, "_create_rows", dies_in_the_second_batch)
    job = import_run(job=job, batch_size=6)
    assert job.status == job.Status.FAILED and job.committed_rows == 6
    assert ImportBatch.objects.get(job=job, committed=True).indexed
    # As if the process died before the first batch's index write ran.
    index.clear()
    ImportBatch.objects.filter(job=job).update(indexed=False)
    monkeypatch.setattr(run, "_create_rows", real)
    job = importer.import_job_resume(actor=alice, job=job)
    job = import_run(job=job, batch_size=6)
    assert job.status == job.Status.DONE, job.error
    assert SearchEntry.objects.filter(kind=SearchEntry.Kind.CUSTOMER).count() == 12
    assert first(alice, "司马0", "customer") == "司马0"
    created = [row for row in job.row_reports() if row["status"] == "created"]
    assert sorted(row["customer"] for row in created) == sorted(
        Customer.objects.values_list("pk", flat=True)
    )
    assert all(ImportBatch.objects.filter(job=job).values_list("indexed", flat=True))


def test_the_entries_a_killed_import_owes_are_written_without_a_resume(
    tmp_path: Path, alice: Any
) -> None:
    """A committed batch notes when its rows' entries are written (they follow its
    commit). A process killed in between leaves the note unset: import_index_pending
    (`dangan worker` calls it as it starts) writes them for jobs that no longer run, and
    leaves a job that still runs alone."""
    from dangan.importer import services as importer
    from dangan.importer.models import ImportJob
    from dangan.importer.tests.helpers import dead_runner

    path = _sheet(tmp_path, "欧阳", 8)
    job = import_run(job=import_job_create(actor=alice, path=path, dry_run=False), batch_size=4)
    assert job.status == ImportJob.Status.DONE, job.error
    assert list(ImportBatch.objects.filter(job=job).values_list("indexed", flat=True)) == [
        True,
        True,
    ]
    assert importer.import_index_pending() == 0
    # Killed after both commits, before the entries were written; still "running".
    index.clear()
    ImportBatch.objects.filter(job=job).update(indexed=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    assert importer.import_index_pending() == 0  # it may still be running: left alone
    assert count(alice, "欧阳", "customer") == 0  # not found by a part of the name
    # Its process has ended: it no longer runs (importer.services.liveness).
    ImportJob.objects.filter(pk=job.pk).update(runner=dead_runner())
    assert importer.import_index_pending() == 2
    assert SearchEntry.objects.filter(kind=SearchEntry.Kind.CUSTOMER).count() == 8
    assert count(alice, "欧阳", "customer") == 8
    assert importer.import_index_pending() == 0
