"""The audit head is the last lock a writing transaction takes (#22 item 9).

Under the mixed load PostgreSQL reported deadlocks: a transaction appended its entry
(locking the head row) and, at COMMIT, its deferred foreign-key checks locked the actor's
user row (FOR KEY SHARE), while another transaction held that user row (FOR UPDATE, e.g.
an approval locking the request with its requester) and waited for the head. The entries
are now appended right before COMMIT, after the pending foreign-key checks and with the
actors' rows locked first, so nothing waits while holding the head."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from dangan.accounts.models import User
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db(transaction=True)


def _threads(*targets: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a writer hangs"
    return errors


def _shared_database() -> None:
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared between threads")


def test_a_locked_actor_row_and_the_head_do_not_deadlock(alice: Any, bob: Any) -> None:
    """A audits as alice, then commits (checking the entry's actor, alice); B locks
    alice's row FOR UPDATE in the meantime and then audits. Before the fix, A held the
    head and waited for alice's row, B held alice's row and waited for the head:
    PostgreSQL killed one with "deadlock detected".

    Not on SQLite: its transactions take the one write lock at BEGIN (IMMEDIATE), so B
    cannot lock a row while A's transaction is open, and there is no other lock to wait
    for."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers take the one write lock at BEGIN: no lock order to get wrong")
    a_audited, b_locked = threading.Event(), threading.Event()

    def a() -> None:
        with transaction.atomic():
            audit_record(actor=alice, action="view", object_type="dossier", object_id="1")
            a_audited.set()
            assert b_locked.wait(10)

    def b() -> None:
        assert a_audited.wait(10)
        with transaction.atomic():
            list(User.objects.select_for_update().filter(pk=alice.pk))
            b_locked.set()
            audit_record(actor=bob, action="view", object_type="dossier", object_id="2")
            # A is committing now, and (fixed) waits for alice's row, holding nothing B needs.
            threading.Event().wait(0.5)

    assert _threads(a, b) == []
    assert AuditEntry.objects.filter(action="view").count() == 2
    assert list(audit_verify()) == []


def test_an_approval_and_a_request_of_its_requester_do_not_deadlock(templates: Any) -> None:
    """The deadlock of the load benchmark, through the services: an approval locks the
    access request (and, before, its requester's row) and audits; at the same time the
    requester files another request, whose entry names him."""
    _shared_database()
    from conftest import _user, car_fields
    from dangan.archives.services import dossier_create
    from dangan.circulation import services
    from dangan.circulation.tests.conftest import ensure_circulation_defaults, later
    from dangan.customers.services import customer_create

    ensure_circulation_defaults()
    archivist = _user("alice", "archivist", "档案室")
    owner = _user("bob", "account_manager", "销售一部")
    manager = _user("dave", "dept_manager", "销售一部")
    clerk = _user("carol", "customer_service", "客服部")
    customer = customer_create(actor=owner, kind="individual", name="并发审批")
    dossier = dossier_create(
        actor=owner, customer=customer, archive_type=templates["CAR-SALE"], fields=car_fields()
    )

    def ask() -> Any:
        return services.request_create(
            actor=clerk, kind="view", dossier_id=dossier.pk, purpose="核对", until=later(days=2)
        )

    pending = [ask() for _ in range(6)]
    assert all(r.status == "pending" for r in pending), "customer service's view needs approval"
    deciders = [manager, archivist]
    barrier = threading.Barrier(2 * len(pending))

    def approve(request: Any) -> Callable[[], None]:
        def run() -> None:
            barrier.wait()
            for actor in deciders:
                try:
                    services.request_approve(actor=actor, request=request)
                except services.ApplicationError:
                    continue  # not this actor's step

        return run

    def another() -> None:
        barrier.wait()
        ask()

    errors = _threads(*[approve(r) for r in pending], *[another for _ in pending])
    assert errors == []
    assert list(audit_verify()) == []


def test_entries_go_with_their_transaction(alice: Any) -> None:
    """Queued entries are appended at the commit, and dropped with a savepoint or a
    transaction that rolls back."""
    with transaction.atomic():
        audit_record(actor=alice, action="kept")
        assert not AuditEntry.objects.filter(action="kept").exists()  # not yet: at commit
        try:
            with transaction.atomic():
                audit_record(actor=alice, action="undone")
                raise RuntimeError
        except RuntimeError:
            pass
        audit_record(actor=alice, action="kept")
    try:
        with transaction.atomic():
            audit_record(actor=alice, action="rolled_back")
            raise RuntimeError
    except RuntimeError:
        pass
    audit_record(actor=alice, action="alone")
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["kept", "kept", "alone"]
    assert "undone" not in actions and "rolled_back" not in actions
    assert list(audit_verify()) == []
    assert connection.audit_pending == []  # type: ignore[attr-defined]
