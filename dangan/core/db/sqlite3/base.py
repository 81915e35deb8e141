"""Django's SQLite backend, appending queued audit entries at commit (core.db.base), with
writers queued on a lock file instead of SQLite's busy handler.

Every transaction here starts with BEGIN IMMEDIATE (settings: transaction_mode), which
takes SQLite's one write lock. A writer that finds it taken is left to SQLite's busy
handler, which sleeps and retries: 1, 2, 5, 10 … up to 100 ms between tries, whether or
not the lock came free meanwhile, and without any order among the waiters. Under the
mixed load (every search and page view appends to the audit trail) waits of 50–230 ms
were common behind transactions of a few milliseconds. So a transaction first takes an
exclusive flock(2) on `<database>-writer`, next to the database: the kernel hands it to a
waiting writer the moment it is released, and BEGIN IMMEDIATE then finds SQLite's lock
free. A writing statement outside a transaction (autocommit) queues the same way: left
to the busy handler it lost to the queue's hand-offs for seconds. Writers that do not
queue (another program) still meet SQLite's busy handler and its timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from typing import IO, Any

from django.db.backends.sqlite3 import base

from dangan.core.db.base import AuditedCommit

# Statements that never write: outside a transaction they need not queue.
_READS = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


class _Cursor(base.SQLiteCursorWrapper):
    """Django's cursor; a writing statement outside a transaction takes the writers' lock
    for itself."""

    queue: DatabaseWrapper | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        if self._alone(query):
            with self.queue.writer():  # type: ignore[union-attr]
                return super().execute(query, params)
        return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        if self._alone(query):
            with self.queue.writer():  # type: ignore[union-attr]
                return super().executemany(query, param_list)
        return super().executemany(query, param_list)

    def _alone(self, query: str) -> bool:
        queue = self.queue
        return (
            queue is not None
            and not queue._writing
            and not queue.in_atomic_block
            and not query.lstrip()[:9].upper().startswith(_READS)
        )


class DatabaseWrapper(AuditedCommit, base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The lock file, open while connected (a file object: closed with the wrapper if
        # a thread ends without closing its connection).
        self._writer_file: IO[bytes] | None = None
        self._writing = False  # holding the writers' lock

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            path = f"{self.settings_dict['NAME']}-writer"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writer_file = os.fdopen(fd, "r+b", buffering=0)
        return connection

    def create_cursor(self, name: Any = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.queue = self if self._writer_file is not None else None
        return cursor

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """The writers' lock for one statement outside a transaction."""
        fcntl.flock(self._writer_file, fcntl.LOCK_EX)  # type: ignore[arg-type]
        self._writing = True
        try:
            yield
        finally:
            self._release_writer()

    def _start_transaction_under_autocommit(self) -> None:
        if self._writer_file is not None and not self._writing:
            fcntl.flock(self._writer_file, fcntl.LOCK_EX)
            self._writing = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> Any:
        result = super()._commit()  # type: ignore[misc]
        self._release_writer()
        return result

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
            if self._writer_file is not None:
                self._writer_file.close()
                self._writer_file = None

    def _release_writer(self) -> None:
        if self._writing and self._writer_file is not None:
            fcntl.flock(self._writer_file, fcntl.LOCK_UN)
        self._writing = False
