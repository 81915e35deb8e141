"""core.bulk: refreshing the planner's statistics (the bulk insert itself is covered by
the services that use it, customers/tests/test_bulk.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from dangan.core.bulk import refresh_statistics
from dangan.customers.services import customer_create

pytestmark = pytest.mark.django_db


def test_it_gives_the_planner_statistics_of_the_customer_indexes(bob: Any) -> None:
    customer_create(actor=bob, kind="individual", name="王五", id_number="110105198001010016")
    refresh_statistics()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
            indexes = {row[0] for row in cursor.fetchall()}
            assert any("owner_id" in name for name in indexes)
            assert any("id_number_lookup" in name for name in indexes)
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'customers_customer'")
            assert cursor.fetchone()[0] >= 1
