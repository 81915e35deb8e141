"""The last-5 lookup backfill (customers 0003) for customers registered before it."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from dangan.core import crypto
from dangan.customers.models import Customer

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("dangan.customers.migrations.0003_backfill_id_last5_lookup")


def test_it_fills_the_last_five_lookup_of_older_customers(
    bobs_customer: Any, daves_customer: Any, monkeypatch: Any
) -> None:
    Customer.objects.update(id_last5_lookup="")
    monkeypatch.setattr(backfill, "BATCH", 1)  # several batches
    backfill.forwards(apps, None)
    bobs_customer.refresh_from_db()
    daves_customer.refresh_from_db()
    assert bobs_customer.id_last5_lookup == crypto.lookup_hash("1002X", purpose="last5")
    assert daves_customer.id_last5_lookup == ""  # an organisation: no identity number


def test_it_skips_a_number_it_cannot_decrypt(bobs_customer: Any) -> None:
    Customer.objects.update(id_last5_lookup="", id_number_encrypted="not-a-fernet-token")
    backfill.forwards(apps, None)
    assert Customer.objects.get().id_last5_lookup == ""


name_index = importlib.import_module("dangan.customers.migrations.0004_customer_name_newest")


def _name_indexes() -> dict[str, list[str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "customers_customer")
    return {
        name: info["columns"]
        for name, info in found.items()
        if info["index"] and info["columns"] and info["columns"][0] == "name"
    }


# Outside a transaction: SQLite's schema editor refuses to run inside one.
@pytest.mark.django_db(transaction=True)
def test_names_are_indexed_once_with_the_id_and_the_step_back_restores_the_old_index() -> None:
    from django.db import connection

    # One index, walked backwards for "named 王伟, newest first"; the single-column one
    # (and PostgreSQL's pattern-ops twin) would only cost every insert.
    assert _name_indexes() == {"customer_name_newest": ["name", "id"]}
    with connection.schema_editor() as editor:
        name_index.create_name_indexes(apps, editor)
        restored = set(_name_indexes()) - {"customer_name_newest"}
        assert restored and all(_name_indexes()[n] == ["name"] for n in restored)
        name_index.drop_name_indexes(apps, editor)
    assert _name_indexes() == {"customer_name_newest": ["name", "id"]}
