"""An index write racing a change of owner (search.services._owners_locked): whichever
commits first, the entries end up naming the customer's owner of now. Here the change
is in progress (its transaction holds the customer) when the index write starts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction

from dangan.customers.models import Customer
from dangan.documents.services import document_add
from dangan.search import services
from dangan.search.models import SearchEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _write_during_a_change(customer: Customer, new_owner: Any, write: Callable[[], None]) -> None:
    """Hand `customer` to `new_owner` in a transaction that stays open while `write`
    starts on another connection, then commit it and wait for both."""
    changing, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def change() -> None:
        with transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(
                owner=new_owner, department=new_owner.department
            )
            changing.set()
            release.wait(10)

    changer = _in_thread(change, errors)
    assert changing.wait(10)
    writer = _in_thread(write, errors)
    time.sleep(0.3)  # the write has read what it reads unlocked, if anything
    release.set()
    changer.join(20)
    writer.join(20)
    assert errors == []
    assert not changer.is_alive() and not writer.is_alive()


def _owners(kind: str, object_id: int) -> set[Any]:
    return set(
        SearchEntry.objects.filter(kind=kind, object_id=object_id).values_list(
            "owner_id", "department_id"
        )
    )


def test_rewriting_a_customer_names_its_new_owner(
    bobs_customer: Any, car_dossier: Any, dave: Any
) -> None:
    services.rebuild_index()
    _write_during_a_change(bobs_customer, dave, lambda: services.index_customer(bobs_customer.pk))
    now = {(dave.pk, dave.department_id)}
    assert _owners("customer", bobs_customer.pk) == now
    assert _owners("dossier", car_dossier.pk) == now


def test_a_new_customer_in_hand_is_indexed_with_its_owner_of_now(
    bobs_customer: Any, dave: Any
) -> None:
    SearchEntry.objects.filter(kind="customer", object_id=bobs_customer.pk).delete()
    in_hand = Customer.objects.get(pk=bobs_customer.pk)  # as an import's batch holds it
    _write_during_a_change(bobs_customer, dave, lambda: services.index_new_customers([in_hand]))
    assert _owners("customer", bobs_customer.pk) == {(dave.pk, dave.department_id)}


def test_a_dossier_and_a_document_name_the_new_owner(
    bob: Any, bobs_customer: Any, car_dossier: Any, dave: Any
) -> None:
    document = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="发票")
    services.rebuild_index()

    def write() -> None:
        services.index_dossier(car_dossier.pk)
        services.index_document(document.pk)

    _write_during_a_change(bobs_customer, dave, write)
    now = {(dave.pk, dave.department_id)}
    assert _owners("dossier", car_dossier.pk) == now
    assert _owners("document", document.pk) == now
