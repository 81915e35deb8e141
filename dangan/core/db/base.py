"""What Dangan adds to Django's database backends: the audit entries a transaction
records are appended right before it commits.

`audit_record` inside a transaction only queues its entry on the connection; the commit
appends the queue to the chain (`dangan.audit.services.flush_pending`), which locks the
chain's head row. So the head is the last lock every writing transaction takes, and no
transaction waits for another while holding it: on PostgreSQL a head taken in the middle
of a transaction, before row locks and deferred foreign-key checks of the same
transaction, deadlocked with transactions that took those locks first (#22 item 9).

A rolled-back savepoint drops the entries queued inside it; a rolled-back transaction
drops them all. Inside a test case's transaction (which never commits), the entries are
appended when the outermost block that is not the test's own is left."""

from __future__ import annotations

from typing import Any


class AuditedCommit:
    """Mixed into a Django DatabaseWrapper (first base)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (savepoints open when queued, entries): see dangan.audit.services._queue.
        self.audit_pending: list[tuple[tuple[Any, ...], Any]] = []

    def commit(self) -> None:
        if self.audit_pending:
            _flush(self)
        super().commit()  # type: ignore[misc]

    def rollback(self) -> None:
        self.audit_pending.clear()
        super().rollback()  # type: ignore[misc]

    def savepoint_commit(self, sid: Any) -> None:
        if self.audit_pending and self.atomic_blocks and not in_transaction(self):  # type: ignore[attr-defined]
            # Leaving the outermost block of a test's transaction: as if it committed.
            _flush(self)
        super().savepoint_commit(sid)  # type: ignore[misc]

    def savepoint_rollback(self, sid: Any) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        self.audit_pending[:] = [q for q in self.audit_pending if sid not in q[0]]

    def close(self) -> None:
        self.audit_pending.clear()
        super().close()  # type: ignore[misc]


def in_transaction(wrapper: Any) -> bool:
    """Whether the connection is inside an atomic block that will commit: one that is not
    a test case's own (those are rolled back when the test ends)."""
    return any(not getattr(block, "_from_testcase", False) for block in wrapper.atomic_blocks)


def _flush(wrapper: Any) -> None:
    from dangan.audit.services import flush_pending

    flush_pending(wrapper)
