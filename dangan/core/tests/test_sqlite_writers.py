"""SQLite's writers queue on a lock file (dangan.core.db.sqlite3, #22 item 9)."""

from __future__ import annotations

import fcntl
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from dangan.accounts.models import ApiToken, User
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_file() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL has row locks")
    if connection.is_in_memory_db():
        pytest.skip("needs a file database shared between threads")


def _taken() -> bool:
    with open(f"{connection.settings_dict['NAME']}-writer", "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def test_a_transaction_holds_the_writers_lock_until_it_ends() -> None:
    assert not _taken()
    with transaction.atomic():
        assert _taken()
    assert not _taken()
    try:
        with transaction.atomic():
            assert _taken()
            raise RuntimeError
    except RuntimeError:
        pass
    assert not _taken()


def test_writers_wait_their_turn_instead_of_failing() -> None:
    """With SQLite's busy timeout at 0, a writer that met the write lock taken would fail
    at once with "database is locked"; queued on the lock file, none does: transactions
    and statements outside one alike."""
    user = User.objects.create_user("writer", password="x-Very-Long-1")
    token = ApiToken.objects.create(user=user, name="t", key_hash="h" * 64, prefix="p")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def write(n: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 0")
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    audit_record(actor=user, action="search", detail={"q": f"{n}-{i}"})
                ApiToken.objects.filter(pk=token.pk).update(name=f"{n}-{i}")  # autocommit
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert AuditEntry.objects.filter(action="search").count() == 60
    assert list(audit_verify()) == []
