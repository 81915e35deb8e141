from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import close_old_connections, connection

from dangan.archives import numbering
from dangan.archives.models import Dossier, NumberSequence
from dangan.core.errors import ApplicationError

NOV_13 = datetime.date(2015, 11, 13)


@pytest.mark.parametrize(
    ("rule", "ctx", "expected"),
    [
        ("{code}-{year}-{seq:4}", numbering.NumberContext("KH", NOV_13), "KH-2015-0001"),
        ("{year}-{dept}-{seq:4}", numbering.NumberContext("X", NOV_13, "XSB"), "2015-XSB-0001"),
        ("{year}{month}{seq:2}", numbering.NumberContext("X", NOV_13), "20151101"),
        (
            "C001-{code}·{year}-D30-{seq:4}",
            numbering.NumberContext("KH", NOV_13),
            "C001-KH·2015-D30-0001",
        ),
    ],
)
def test_it_renders_the_three_seed_schemes(rule: str, ctx: Any, expected: str) -> None:
    assert numbering.preview(rule, ctx) == expected


@pytest.mark.parametrize(
    "rule",
    [
        "{code}-{year}",
        "{seq:4}-{seq:2}",
        "{seq:0}",
        "{seq:9}",
        "{name}-{seq:3}",
        "A B {seq:3}",
        "<{seq:2}>",
    ],
)
def test_it_rejects_bad_rules(rule: str) -> None:
    with pytest.raises(ApplicationError) as exc:
        numbering.validate_rule(rule)
    assert exc.value.field == "numbering"


def test_it_needs_a_department_for_dept_rules() -> None:
    with pytest.raises(ApplicationError) as exc:
        numbering.preview("{year}-{dept}-{seq:3}", numbering.NumberContext("X", NOV_13, ""))
    assert exc.value.field == "department"


@pytest.mark.django_db
def test_it_counts_per_month_and_restarts_next_month() -> None:
    rule = "{year}{month}{seq:2}"
    nov = numbering.NumberContext("CAR", NOV_13)
    dec = numbering.NumberContext("CAR", datetime.date(2015, 12, 1))
    got = [numbering.allocate(rule, nov) for _ in range(13)]
    assert got[-1] == "20151113"  # the 13th customer of November 2015, as in the seed
    assert numbering.allocate(rule, dec) == "20151201"
    assert numbering.allocate(rule, nov) == "20151114"


@pytest.mark.django_db
def test_it_shares_a_counter_between_rules_with_the_same_prefix() -> None:
    ctx = numbering.NumberContext("KH", NOV_13)
    first = numbering.allocate("{code}-{year}-{seq:4}", ctx)
    second = numbering.allocate("{code}-{year}-{seq:3}", ctx)
    assert (first, second) == ("KH-2015-0001", "KH-2015-002")


@pytest.mark.django_db
def test_it_widens_rather_than_wraps_when_the_sequence_overflows() -> None:
    NumberSequence.objects.create(key="201511{seq}", last_value=99)
    assert (
        numbering.allocate("{year}{month}{seq:2}", numbering.NumberContext("C", NOV_13))
        == "201511100"
    )


@pytest.mark.django_db(transaction=True)
def test_it_allocates_unique_numbers_under_16_parallel_writers(templates: Any, alice: Any) -> None:
    """SPEC §6: archive numbers unique under 16 parallel writers (SQLite and PostgreSQL)."""
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared between threads")
    archive_type = templates["ENT-CREDIT"]
    customer = customer_create(
        actor=alice, kind="organization", name="并发测试有限公司", uscc="91350100M000100Y43"
    )
    writers, per_writer = 16, 4
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(per_writer):
                dossier = dossier_create(
                    actor=alice,
                    customer=customer,
                    archive_type=archive_type,
                    fields={"credit_rating": "A"},
                )
                with lock:
                    numbers.append(dossier.archive_number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(numbers) == writers * per_writer
    assert len(set(numbers)) == len(numbers)
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, writers * per_writer + 1))  # no gaps, none twice
    assert Dossier.objects.count() == writers * per_writer


@pytest.mark.django_db
def test_it_skips_a_number_another_dossier_already_holds(car_dossier: Any) -> None:
    """Numbers are never handed out twice, even when a widened sequence meets another rule."""
    taken = car_dossier.archive_number
    prefix, seq = taken[:6], int(taken[6:])
    NumberSequence.objects.filter(key=f"{prefix}{{seq}}").update(last_value=seq - 1)
    ctx = numbering.NumberContext("X", datetime.date(int(prefix[:4]), int(prefix[4:]), 1))
    assert numbering.allocate("{year}{month}{seq:2}", ctx) != taken
