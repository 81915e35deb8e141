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
from dangan.importer.services import import_job_create, import_run
from dangan.importer.tests.helpers import xlsx_bytes
from dangan.search import services
from dangan.search.models import SearchEntry
from dangan.search.tests.test_search import first

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


def test_a_write_rolled_back_with_its_transaction_never_runs() -> None:
    ran: list[int] = []
    with services.index_in_background():
        with transaction.atomic():
            services.index_after_commit(ran.append, 1)
            transaction.set_rollback(True)
    assert ran == []


def test_a_failed_write_is_raised_in_the_caller_and_the_rest_are_skipped() -> None:
    ran: list[int] = []

    def fail() -> None:
        raise RuntimeError("index write failed")

    with pytest.raises(RuntimeError, match="index write failed"):  # noqa: PT012
        with services.index_in_background():
            with transaction.atomic():
                services.index_after_commit(fail)
            with transaction.atomic():
                services.index_after_commit(ran.append, 2)
    if _postgres():
        assert ran == []


def test_inside_a_transaction_it_writes_at_once() -> None:
    ran: list[int] = []
    with transaction.atomic():
        with services.index_in_background():
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
