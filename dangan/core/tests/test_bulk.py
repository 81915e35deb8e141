"""core.bulk: refreshing the planner's statistics (the bulk insert itself is covered by
the services that use it, customers/tests/test_bulk.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

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


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's sampled statistics")
def test_the_scope_indexes_are_counted_in_full(bob: Any, dave: Any) -> None:
    """A sample of analysis_limit rows would tell the planner that an account manager
    has about a thousand customers; their search candidates were then read by walking
    all of their customers (0.4-1.3 s at 300,000)."""
    from dangan.customers.models import Customer

    Customer.objects.bulk_create(
        [Customer(kind="individual", name=f"客户{n}", owner=bob) for n in range(2400)]
        + [Customer(kind="individual", name=f"客户{n}", owner=dave) for n in range(600)]
    )
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
        stats = dict(cursor.fetchall())
    owner = next(stat for name, stat in stats.items() if name.endswith("owner_id_fbb2798e"))
    assert owner == "3000 1500"  # rows, and rows per owner: 3,000 of two owners


# A few rows go in as one INSERT, many by COPY on PostgreSQL (bulk.COPY_FROM): both ways.
@pytest.mark.parametrize("count", [3, 52])
def test_insert_rows_stores_values_as_the_orm_would_and_returns_keys_in_order(
    count: int,
) -> None:
    import datetime

    from django.utils import timezone

    from dangan.audit.models import AuditEntry, AuditHead
    from dangan.core.bulk import COPY_FROM, insert_rows

    assert (count < COPY_FROM) == (count == 3)
    at = timezone.now() - datetime.timedelta(days=1)
    # Every column but the key, in an order of our own (not the model's).
    columns = sorted(f.attname for f in AuditEntry._meta.concrete_fields if not f.primary_key)
    entries = [
        {"seq": 1000 + i, "at": at, "actor_id": None, "actor_name": "", "roles": "", "ip": "",
         "action": "view", "object_type": "customer", "object_id": str(i), "object_repr": "客户",
         "outcome": "success", "detail": {"n": i, "q": "引号\"", "d": None},
         "prev_hash": "0" * 64, "entry_hash": f"{i:064d}"}
        for i in range(count)
    ]  # fmt: skip
    rows = [[entry[c] for c in columns] for entry in entries]
    # With one more statement that must go with the rows (the audit head's update).
    AuditHead.objects.get_or_create(pk=1)
    head_moves = ("UPDATE audit_audithead SET last_seq = %s WHERE id = 1", [count])
    keys = insert_rows(AuditEntry, columns, rows, also=head_moves)
    assert AuditHead.objects.get(pk=1).last_seq == count
    stored = {e.pk: e for e in AuditEntry.objects.filter(pk__in=keys)}
    assert [stored[k].seq for k in keys] == [1000 + i for i in range(count)]
    assert stored[keys[2]].detail == {"n": 2, "q": '引号"', "d": None}
    assert stored[keys[0]].at == at and stored[keys[0]].actor_id is None
    assert keys == sorted(keys)  # in row order, as one INSERT would number them
    # The table's own numbering goes on after them (PostgreSQL: drawn from its sequence).
    later = AuditEntry.objects.create(seq=3000, at=at, action="view", entry_hash="f" * 64)
    assert later.pk > keys[-1]
    with pytest.raises(TypeError, match="columns"):
        insert_rows(AuditEntry, columns[:-1], [row[:-1] for row in rows])
    # A clash is Django's IntegrityError on both databases (customers_create_bulk falls
    # back to one at a time on it).
    clash = {**entries[0], "seq": 1001, "entry_hash": "e" * 64}
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(AuditEntry, columns, [[clash[c] for c in columns]])


def _pragma(name: str) -> int:
    """SQLite: a PRAGMA's value on this connection."""
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return int(cursor.fetchone()[0])


def test_page_cache_is_large_for_the_block_only() -> None:
    from dangan.core.bulk import page_cache

    if connection.vendor != "sqlite":
        with page_cache():
            pass  # nothing to change: PostgreSQL's buffers are the server's
        return

    before = _pragma("cache_size")
    with page_cache(mib=300):
        assert _pragma("cache_size") == -300 * 1024
    assert _pragma("cache_size") == before != -300 * 1024


def test_new_builds_what_the_keyword_form_builds(bob: Any, django_assert_num_queries: Any) -> None:
    import datetime
    from decimal import Decimal

    from dangan.audit.models import AuditEntry
    from dangan.core.bulk import new
    from dangan.customers.models import Customer

    values = {
        "kind": "individual",
        "name": "王五",
        "owner": bob,
        "department": bob.department,
        "created_by": bob,
        "birth_date": datetime.date(1980, 1, 1),
        "credit_limit": Decimal("10.50"),
    }
    fast, usual = new(Customer, **values), Customer(**values)
    columns = [f.attname for f in Customer._meta.concrete_fields]
    assert [getattr(fast, c) for c in columns] == [getattr(usual, c) for c in columns]
    assert fast.owner_id == bob.pk and fast._state.adding
    with django_assert_num_queries(0):
        assert fast.owner is bob and fast.department == bob.department
    # A callable default is made anew for each instance.
    first, second = new(AuditEntry, action="view"), new(AuditEntry, action="view")
    assert first.detail == {} and first.detail is not second.detail
    with pytest.raises(TypeError, match="nickname"):
        new(Customer, name="王五", nickname="老王")


def test_checkpoints_wait_for_the_end_of_the_block() -> None:
    from dangan.core.bulk import deferred_checkpoints

    if connection.vendor != "sqlite":
        with deferred_checkpoints():
            pass  # nothing to change: PostgreSQL has no WAL checkpoints to defer
        return

    before = _pragma("wal_autocheckpoint")
    with deferred_checkpoints():
        assert _pragma("wal_autocheckpoint") == 0
    assert _pragma("wal_autocheckpoint") == before != 0


def test_text_list_is_one_parameter_matching_exactly_the_texts_given(bob: Any) -> None:
    from django.db.models.expressions import RawSQL

    from dangan.core.bulk import text_list
    from dangan.customers.models import Customer

    odd = ["O'Brien", '双"引号', "王五", "a,b", "{x}", "null", '反\\斜\\"杠', "空 格", ""]
    for name in odd[:-1]:
        customer_create(actor=bob, kind="individual", name=name)
    customer_create(actor=bob, kind="individual", name="不在其中")
    listed = text_list(odd)
    assert isinstance(listed, RawSQL) and len(listed.params) == 1
    found = Customer.objects.filter(name__in=listed).values_list("name", flat=True)
    assert sorted(found) == sorted(odd[:-1])
    assert not Customer.objects.filter(name__in=text_list([])).exists()
