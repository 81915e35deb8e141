"""customers_create_bulk / dossiers_create_bulk / audit_record_many: the bulk path that
imports take must refuse exactly what the one-at-a-time services refuse."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from conftest import audit_actions, car_fields
from dangan.archives.models import Dossier
from dangan.archives.services import dossier_create, dossiers_create_bulk
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_verify
from dangan.core.errors import ApplicationError, Forbidden, NotFound
from dangan.customers.models import Customer
from dangan.customers.services import customer_create, customers_create_bulk
from dangan.search.selectors import search

pytestmark = pytest.mark.django_db(transaction=True)


def _ids(result: Any, kind: str) -> list[int]:
    return [h.pk for g in result.groups if g.kind == kind for h in g.hits]


def test_it_creates_valid_rows_and_reports_the_others(bob: Any) -> None:
    rows = [
        {"kind": "individual", "name": "王建国", "id_number": "110105198001010016"},
        {"kind": "individual", "name": "李四", "id_number": "110105194912310020"},  # check digit
        {"kind": "individual", "name": " ", "mobile": "13800138001"},
        {"kind": "individual", "name": "赵六", "mobile": "1380013"},
        {
            "kind": "organization",
            "name": "远大公司",
            "uscc": "91350100M000100Y43",
            "registered_capital": Decimal("1234.50"),
            "remarks": '老客户\n"引号"',
        },
    ]
    results = customers_create_bulk(actor=bob, rows=rows)
    assert [type(r).__name__ for r in results] == [
        "Customer",
        "ApplicationError",
        "ApplicationError",
        "ApplicationError",
        "Customer",
    ]
    assert [r.field for r in results if isinstance(r, ApplicationError)] == [
        "id_number",
        "name",
        "mobile",
    ]
    created = [r for r in results if isinstance(r, Customer)]
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["王建国", "远大公司"]
    wang = Customer.objects.get(name="王建国")
    assert wang.pk == created[0].pk
    assert wang.id_number == "110105198001010016"
    assert str(wang.birth_date) == "1980-01-01"
    assert wang.owner == bob and wang.department == bob.department
    # Encrypted like one created alone, and findable by the tail of its number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM customers_customer WHERE id = %s", [wang.pk])
        assert "110105198001010016" not in " ".join(str(v) for v in cursor.fetchone())
    org = Customer.objects.get(name="远大公司")
    assert org.registered_capital == Decimal("1234.50")
    assert org.remarks == '老客户\n"引号"'
    assert org.created_at is not None and org.created_at == wang.created_at
    assert _ids(search(bob, "0016"), "customer") == [wang.pk]
    assert _ids(search(bob, "wjg"), "customer") == [wang.pk]
    for customer in created:
        assert audit_actions(object_type="customer", object_id=str(customer.pk)) == ["create"]
    assert list(audit_verify()) == []


def test_it_refuses_numbers_taken_before_or_earlier_in_the_list(
    bob: Any, dave: Any, bobs_customer: Any
) -> None:
    daves = customer_create(
        actor=dave, kind="individual", name="钱七", id_number="110105198001010024"
    )
    rows = [
        {"kind": "individual", "name": "张三", "id_number": bobs_customer.id_number},
        {"kind": "individual", "name": "某人", "id_number": daves.id_number},
        {"kind": "individual", "name": "甲", "id_number": "110105198001010016"},
        {"kind": "individual", "name": "乙", "id_number": "110105198001010016"},
        {"kind": "organization", "name": "远大", "uscc": "91350100M000100Y43"},
        {"kind": "organization", "name": "远大二", "uscc": "91350100M000100Y43"},
    ]
    results = customers_create_bulk(actor=bob, rows=rows)
    messages = [str(r.message) if isinstance(r, ApplicationError) else "ok" for r in results]
    assert f"客户编号 {bobs_customer.pk}" in messages[0]  # bob may see his own customer
    assert "其他部门" in messages[1] and "钱七" not in messages[1]  # not dave's
    assert messages[2] == "ok" and "重复" in messages[3]
    assert messages[4] == "ok" and "信用代码" in messages[5]
    assert Customer.objects.count() == 4


def test_looked_up_rows_are_not_looked_up_again_but_still_refused_when_taken(
    bob: Any, bobs_customer: Any
) -> None:
    """`looked_up` (the importer, which has just looked the batch's numbers up): no
    lookup, yet a number registered meanwhile is refused by the unique index (the
    one-at-a-time fallback) and a repeat within the list as before."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [
        {"kind": "individual", "name": "甲", "id_number": "110105198001010016"},
        {"kind": "individual", "name": "乙", "id_number": "110105198001010016"},
        {"kind": "organization", "name": "远大", "uscc": "91350100M000100Y43"},
    ]
    with CaptureQueriesContext(connection) as queries:
        results = customers_create_bulk(actor=bob, rows=rows, looked_up=True)
    lookups = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in lookups if "id_number_lookup" in sql or "uscc" in sql]
    assert isinstance(results[0], Customer) and isinstance(results[2], Customer)
    assert isinstance(results[1], ApplicationError) and "重复" in str(results[1].message)
    # As if bob's customer had been registered after the caller looked: the insert
    # clashes, and the rows go in one at a time, the taken one refused.
    clash = [
        {"kind": "individual", "name": "丙", "id_number": "110105198001010024"},
        {"kind": "individual", "name": "张三", "id_number": bobs_customer.id_number},
    ]
    results = customers_create_bulk(actor=bob, rows=clash, looked_up=True)
    assert isinstance(results[0], Customer)
    assert isinstance(results[1], ApplicationError) and results[1].field == "id_number"
    assert Customer.objects.count() == 4  # bob's, 甲, 远大, 丙


def test_it_refuses_users_who_may_not_create_customers(eve: Any) -> None:
    with pytest.raises(Forbidden):
        customers_create_bulk(actor=eve, rows=[{"kind": "individual", "name": "王五"}])
    assert not Customer.objects.exists()


def _cars(count: int) -> list[dict[str, Any]]:
    """Fields of `count` different cars (一车一档: one VIN, one dossier)."""
    import random

    from dangan.core.identifiers import make_vin

    rng = random.Random(3)  # noqa: S311 - test data
    return [car_fields(vin=make_vin(rng)) for _ in range(count)]


def test_it_opens_dossiers_with_gap_free_numbers(templates: Any, bob: Any) -> None:
    car = templates["CAR-SALE"]
    cars = _cars(7)
    first = dossier_create(
        actor=bob,
        customer=customer_create(actor=bob, kind="individual", name="甲"),
        archive_type=car,
        fields=cars[0],
    )
    customers = customers_create_bulk(
        actor=bob, rows=[{"kind": "individual", "name": f"客户{i}"} for i in range(5)]
    )
    items = [(c, car, cars[1 + i]) for i, c in enumerate(customers) if isinstance(c, Customer)]
    results = dossiers_create_bulk(actor=bob, items=items)
    numbers = [d.archive_number for d in results if isinstance(d, Dossier)]
    start = int(first.archive_number)  # {year}{month}{seq:2}: 20261101, 20261102, …
    assert numbers == [str(start + i) for i in range(1, 6)]
    assert Dossier.objects.filter(archive_number__in=numbers).count() == 5
    for dossier in results:
        assert isinstance(dossier, Dossier)
        assert audit_actions(object_type="dossier", object_id=str(dossier.pk)) == ["create"]
    assert _ids(search(bob, numbers[2]), "dossier") == [results[2].pk]  # type: ignore[union-attr]
    # The next one-at-a-time dossier continues the sequence.
    later = dossier_create(
        actor=bob,
        customer=customer_create(actor=bob, kind="individual", name="乙"),
        archive_type=car,
        fields=cars[6],
    )
    assert later.archive_number == str(start + 6)
    assert list(audit_verify()) == []


def test_it_refuses_dossiers_of_customers_the_actor_may_not_see(
    templates: Any, bob: Any, daves_customer: Any, bobs_customer: Any
) -> None:
    car = templates["CAR-SALE"]
    results = dossiers_create_bulk(
        actor=bob,
        items=[
            (daves_customer, car, car_fields()),
            (bobs_customer, car, {"vin": "NOT-A-VIN"}),
        ],
    )
    assert isinstance(results[0], NotFound)
    assert isinstance(results[1], ApplicationError)
    assert not Dossier.objects.exists()


def test_bulk_audit_entries_chain_like_single_ones(bob: Any) -> None:
    customer_create(actor=bob, kind="individual", name="甲")
    customers_create_bulk(
        actor=bob, rows=[{"kind": "individual", "name": f"乙{i}"} for i in range(30)]
    )
    customer_create(actor=bob, kind="individual", name="丙")
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert list(audit_verify()) == []
    # Tampering with one bulk-written entry is detected.
    middle = AuditEntry.objects.filter(action="create").order_by("seq")[10]
    AuditEntry.objects.filter(pk=middle.pk).update(object_repr="篡改")
    assert [p.seq for p in audit_verify()] == [middle.seq]


def test_a_birth_date_after_today_is_refused_one_at_a_time_and_in_bulk(bob: Any) -> None:
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    row = {"kind": "individual", "name": "钱七", "birth_date": tomorrow}
    with pytest.raises(ApplicationError) as refused:
        customer_create(actor=bob, **row)
    assert refused.value.field == "birth_date"
    results = customers_create_bulk(actor=bob, rows=[row, {**row, "birth_date": today}])
    assert isinstance(results[0], ApplicationError) and results[0].field == "birth_date"
    assert isinstance(results[1], Customer) and results[1].birth_date == today
