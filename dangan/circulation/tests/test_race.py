from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections, connection

from dangan.circulation import lending, services
from dangan.circulation.models import Loan
from dangan.circulation.tests.conftest import ensure_circulation_defaults, later
from dangan.core.errors import ApplicationError


@pytest.mark.django_db(transaction=True)
def test_it_lends_a_dossier_once_when_approvals_race(templates: Any) -> None:
    """Issue 5: exactly one open loan per dossier, even when eight approved borrow
    requests are lent at the same moment."""
    from conftest import _user, car_fields
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared between threads")
    ensure_circulation_defaults()
    alice = _user("alice", "archivist", "档案室")
    bob = _user("bob", "account_manager", "销售一部")
    customer = customer_create(actor=bob, kind="individual", name="并发借阅")
    dossier = dossier_create(
        actor=bob, customer=customer, archive_type=templates["CAR-SALE"], fields=car_fields()
    )
    writers = 8
    requests = [
        services.request_create(
            actor=bob, kind="borrow", dossier_id=dossier.pk, purpose="核对", until=later(days=5)
        )
        for _ in range(writers)
    ]
    assert {r.status for r in requests} == {"approved"}
    loans: list[Loan] = []
    refused: list[ApplicationError] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def lend(index: int) -> None:
        try:
            barrier.wait()
            loan = lending.loan_create(
                actor=alice,
                dossier=dossier,
                borrower=bob,
                due=later(days=5),
                request=requests[index],
            )
            with lock:
                loans.append(loan)
        except ApplicationError as exc:
            with lock:
                refused.append(exc)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=lend, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(loans) == 1
    assert len(refused) == writers - 1
    assert {str(exc.message) for exc in refused} == {"该档案已借出"}
    assert Loan.objects.count() == 1
    dossier.refresh_from_db()
    assert dossier.status == "on_loan"
