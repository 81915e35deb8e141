"""The pattern indexes Django adds on PostgreSQL are gone where only whole values are
compared, and the plain indexes that serve those comparisons stay."""

from __future__ import annotations

import pytest
from django.db import connection

from dangan.core import migration_ops

pytestmark = pytest.mark.django_db

DROPPED = {
    "customers_customer": [
        "id_number_lookup",
        "id_last4_lookup",
        "id_last5_lookup",
        "id_last6_lookup",
        "mobile",
        "uscc",
    ],
    "audit_auditentry": ["action", "object_type", "entry_hash"],
    "archives_dossier": ["archive_number"],
}


def _pattern_indexes(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(migration_ops._PATTERN_INDEXES, [table, column])
        return [name for (name,) in cursor.fetchall()]


def test_whole_value_columns_keep_a_plain_index_and_lose_the_pattern_one() -> None:
    for table, columns in DROPPED.items():
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for column in columns:
            indexed = [
                c for c in constraints.values() if c["columns"] == [column] and c["index"]
            ] + [c for c in constraints.values() if c["columns"] == [column] and c["unique"]]
            assert indexed, f"{table}.{column} lost its index"
            if connection.vendor == "postgresql":
                assert _pattern_indexes(table, column) == []


def test_the_operation_goes_back_and_forth() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no pattern indexes")
    operation = migration_ops.drop_pattern_indexes("customers_customer", ["mobile", "uscc"])
    # DDL is transactional on PostgreSQL: the test's transaction undoes all of it.
    with connection.schema_editor(atomic=False) as editor:
        operation.reverse_code(None, editor)  # type: ignore[misc, arg-type]
        assert len(_pattern_indexes("customers_customer", "mobile")) == 1
        assert len(_pattern_indexes("customers_customer", "uscc")) == 1
        operation.code(None, editor)  # type: ignore[arg-type]
        assert _pattern_indexes("customers_customer", "mobile") == []
        assert _pattern_indexes("customers_customer", "uscc") == []
