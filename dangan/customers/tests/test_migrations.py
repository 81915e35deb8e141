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
