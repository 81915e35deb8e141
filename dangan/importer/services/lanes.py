"""Two batches at once on PostgreSQL: one checks its rows while the other writes."""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import functools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections

from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.importer.models import ImportJob
from dangan.importer.services.parse import Parsed
from dangan.search import services as search_services

# --- two batches at once (PostgreSQL) ---------------------------------------------------

LANES = 2  # batches in progress at once: one checking its rows while the other writes


@dataclass
class _Turn:
    """How far a batch running in a lane has got, for the batch after it (_in_lanes)."""

    # Its rows are in `seen`; it has committed or rolled back; it committed.
    checked: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)
    ok: bool = False

    def end(self, *, ok: bool) -> None:
        self.ok = ok
        self.checked.set()
        self.ended.set()


class _Stopped(Exception):
    """The batch before this one failed: this one writes nothing and is rolled back."""


def _lanes_possible() -> bool:
    """Batches run in lanes on PostgreSQL, outside a transaction (each lane's connection
    commits on its own). SQLite has one writer at a time."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _in_lanes(
    job: ImportJob,
    actor: User,
    atype: ArchiveType | None,
    numbered: Iterable[tuple[int, list[tuple[int, Parsed]]]],
    seen: dict[str, int],
    done: Callable[[list[tuple[int, Parsed]], dict[str, int]], None],
    run_batch: Callable[..., dict[str, int]],
) -> None:
    """Run the batches two at a time, each in a thread and transaction of its own, and
    hand each one's counts to `done`, in order.

    A batch spends about half its time in Python (checking its rows, encrypting, hashing,
    building the customers, entries and index tokens) and half waiting for PostgreSQL
    (the COPY into tables with a dozen indexes, the commit). In lanes, a batch does its
    Python part while the one before it writes, so the two overlap instead of taking
    turns. The order of a sequential import is kept:
    - a batch checks its rows only once the batch before has checked its own (duplicates
      within the sheet are found through `seen`, in row order);
    - a batch writes nothing until the one before has committed (`_Batch.gate`), so the
      batches commit one at a time, in order, and no two wait for each other's locks
      (the audit trail's head, the numbering);
    - if a batch fails, the one after it is stopped at its gate and rolled back: the
      committed batches are always the first ones, which is what a resume relies on.
    Reading before the batch before has committed is safe: a row of this batch that
    names a customer a row before it describes (by ID number, credit code, or name and
    mobile, as the row gives them or as they were stored: _note, _note_found) is a
    duplicate in `seen`, whatever that row has changed."""
    writer = search_services.index_writer()
    pending: collections.deque[tuple[Future[dict[str, int]], list[tuple[int, Parsed]]]]
    pending = collections.deque()
    before: _Turn | None = None
    lanes = _LaneThreads(LANES)
    try:
        for number, batch in numbered:
            if len(pending) == LANES:
                future, ended = pending.popleft()
                done(ended, future.result())
            turn = _Turn()
            # The lane sees the caller's context: its language (row errors), the client
            # address of the audit entries.
            run = contextvars.copy_context().run
            work = functools.partial(
                run_batch, job, actor, atype, batch, number, seen, before=before, turn=turn
            )
            future = lanes.submit(run, _lane, writer, turn, work)
            pending.append((future, batch))
            before = turn
        while pending:
            future, ended = pending.popleft()
            done(ended, future.result())
    except BaseException:
        # A batch failed, or the sheet did: the batches still running finish (or are
        # stopped at their gate), and those that committed are reported.
        for future, ended in pending:
            try:
                done(ended, future.result())
            except Exception:  # noqa: S112 - the first failure is the one raised
                continue
        raise
    finally:
        lanes.close()


class _LaneThreads:
    """`count` threads, each running the batches given to it in turn on one connection of
    its own, kept for the whole import (a new connection per batch cost about 2 s of
    server CPU and wall time per 100,000 rows: every new session loads the catalog
    again). Batch n goes to thread n % count."""

    def __init__(self, count: int) -> None:
        self._jobs: list[queue.SimpleQueue[Any]] = [queue.SimpleQueue() for _ in range(count)]
        self._threads = [
            threading.Thread(target=self._run, args=(jobs,), name=f"import-batch-{i}")
            for i, jobs in enumerate(self._jobs)
        ]
        self._given = 0
        for thread in self._threads:
            thread.start()

    def submit(self, run: Callable[..., dict[str, int]], *args: Any) -> Future[dict[str, int]]:
        future: Future[dict[str, int]] = Future()
        self._jobs[self._given % len(self._jobs)].put((future, run, args))
        self._given += 1
        return future

    def close(self) -> None:
        """Wait for the batches given, then end the threads (closing their connections)."""
        for jobs in self._jobs:
            jobs.put(None)
        for thread in self._threads:
            thread.join()

    @staticmethod
    def _run(jobs: queue.SimpleQueue[Any]) -> None:
        try:
            while (job := jobs.get()) is not None:
                future, run, args = job
                try:
                    future.set_result(run(*args))
                except BaseException as exc:  # handed to the caller by future.result()
                    future.set_exception(exc)
        finally:
            connections.close_all()  # this thread's own


def _lane(
    writer: search_services.IndexWriter | None, turn: _Turn, work: Callable[[], dict[str, int]]
) -> dict[str, int]:
    """One batch (`work`, a run._run_batch) in a lane's thread, on the thread's own
    connection; the batch after it is told how it ended."""
    with search_services.index_writes_to(writer), _ending(turn):
        return work()


@contextlib.contextmanager
def _ending(turn: _Turn) -> Iterator[None]:
    try:
        yield
    except BaseException:
        turn.end(ok=False)
        raise
    turn.end(ok=True)


def _gate(before: _Turn | None) -> Callable[[], None]:
    """What a batch calls before it writes: wait until the batch before it has ended;
    _Stopped if that one failed."""

    def wait() -> None:
        if before is not None:
            before.ended.wait()
            if not before.ok:
                raise _Stopped

    return wait
