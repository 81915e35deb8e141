"""Imports outside a transaction, as the worker and the CLI run them: on PostgreSQL the
batches then run two at a time (services.lanes._in_lanes); on SQLite one after the other. The
outcome must be the same either way: rows checked in sheet order, batches committed in
order, a failed batch followed by nothing."""

from __future__ import annotations

import datetime
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dangan.archives.models import Dossier
from dangan.audit.models import AuditEntry
from dangan.core.identifiers import make_mobile, make_resident_id
from dangan.customers.models import Customer
from dangan.importer import services
from dangan.importer.models import ImportBatch, ImportJob
from dangan.importer.services import run
from dangan.importer.tests.helpers import fail_second_batch, xlsx_bytes
from dangan.search.selectors import search

pytestmark = pytest.mark.django_db(transaction=True)

RNG = random.Random(29)  # noqa: S311
LANES = connection.vendor == "postgresql"


def _person(i: int) -> list[Any]:
    birth = datetime.date(1962, 1, 1) + datetime.timedelta(days=i)
    return [f"客户{i}", make_resident_id(RNG, birth=birth), make_mobile(RNG)]


def _sheet(tmp_path: Path, rows: list[list[Any]], header: list[str]) -> Path:
    path = tmp_path / "lanes.xlsx"
    path.write_bytes(xlsx_bytes([header, *rows], title=None, hidden_first=False))
    return path


@pytest.fixture
def lanes(monkeypatch: Any) -> list[tuple[int, str]]:
    """(batch number, thread name) of every batch run in a lane (not in the caller's
    thread)."""
    ran: list[tuple[int, str]] = []
    real = run._run_batch

    def spy(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            ran.append((args[4], threading.current_thread().name))
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "_run_batch", spy)
    return ran


def test_batches_in_lanes_check_rows_in_sheet_order_and_commit_in_order(
    tmp_path: Path, alice: Any, bobs_customer: Any, templates: Any, lanes: Any
) -> None:
    header = ["姓名", "身份证号", "手机", "客户类别"]
    rows = [[*_person(i), "散客"] for i in range(12)]
    rows[4] = ["张三", "11010519491231002X", "13800138001", "会员"]  # bob's: a new mobile
    rows[9] = [*rows[1][:3], "散客"]  # a copy of a row of the first batch
    rows[10][1] = rows[10][1][:17] + ("0" if rows[10][1][17] != "0" else "1")  # bad check
    path = _sheet(tmp_path, rows, header)
    job = services.import_job_create(
        actor=alice, path=path, dry_run=False, archive_type="HOTEL-GUEST"
    )
    job = services.import_run(job=job, batch_size=3)

    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"] == {
        "created": 9,
        "updated": 1,
        "unchanged": 0,
        "error": 2,
        "skipped": 0,
    }
    assert job.report["committed"] == [[2, 4], [5, 7], [8, 10], [11, 13]]
    batches = list(ImportBatch.objects.filter(job=job).order_by("number"))
    assert [(b.number, b.committed, b.indexed) for b in batches] == [
        (n, True, True) for n in range(1, 5)
    ]
    errors = {r["row"]: r for r in job.row_reports() if r["status"] == "error"}
    assert "与第 3 行重复" in errors[11]["errors"][0]["message"]
    assert "校验位" in errors[12]["errors"][0]["message"]
    bobs_customer.refresh_from_db()
    assert bobs_customer.mobile == "13800138001"
    assert Dossier.objects.filter(customer=bobs_customer).count() == 1
    # The audit trail has the rows in sheet order: each batch after the one before.
    created = AuditEntry.objects.filter(
        action="create", object_type="customer", actor=alice
    ).order_by("seq")
    names = [e.object_repr for e in created]
    assert names == [r[0] for i, r in enumerate(rows) if i not in (4, 9, 10)]
    numbers = sorted(Dossier.objects.values_list("archive_number", flat=True))
    assert len(numbers) == 10 and len(set(numbers)) == 10
    # Written to the index by the lanes (through the import's one index writer).
    hit = search(alice, "客户11")
    first = [h.pk for g in hit.groups if g.kind == "customer" for h in g.hits][:1]
    assert first == [Customer.objects.get(name="客户11").pk]
    if LANES:
        assert sorted(number for number, _name in lanes) == [1, 2, 3, 4]
        assert all(name.startswith("import-batch") for _number, name in lanes)
        assert len({name for _number, name in lanes}) == services.lanes.LANES
    else:
        assert lanes == []


def test_a_failed_batch_stops_the_one_after_it_and_the_job_resumes(
    tmp_path: Path, alice: Any, monkeypatch: Any, lanes: Any
) -> None:
    path = _sheet(tmp_path, [_person(i) for i in range(1300)], ["姓名", "身份证号", "手机"])
    restore = fail_second_batch(monkeypatch)
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    job = services.import_run(job=job, batch_size=500)

    assert job.status == ImportJob.Status.FAILED and "disk full" in job.error
    assert Customer.objects.count() == 500  # the first batch; the third never wrote
    assert job.report["committed"] == [[2, 501]]
    assert list(ImportBatch.objects.filter(job=job).values_list("number", "committed")) == [
        (1, True)
    ]
    assert job.committed_rows == 500 and job.processed_rows == 500

    restore()
    job = services.import_job_resume(actor=alice, job=job)
    job = services.import_run(job=job, batch_size=500)
    assert job.status == ImportJob.Status.DONE, job.error
    assert Customer.objects.count() == 1300
    assert job.report["committed"] == [[2, 501], [502, 1001], [1002, 1301]]
    if LANES:
        assert len(lanes) >= 4


def test_a_dry_run_in_lanes_writes_nothing_but_its_report(
    tmp_path: Path, alice: Any, lanes: Any
) -> None:
    rows = [_person(i) for i in range(10)]
    rows[7] = list(rows[2])
    path = _sheet(tmp_path, rows, ["姓名", "身份证号", "手机"])
    job = services.import_job_create(actor=alice, path=path, dry_run=True)
    before = AuditEntry.objects.count()
    job = services.import_run(job=job, batch_size=2)

    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"] == {
        "created": 9,
        "updated": 0,
        "unchanged": 0,
        "error": 1,
        "skipped": 0,
    }
    assert not Customer.objects.exists()
    assert AuditEntry.objects.count() == before
    assert [b.committed for b in ImportBatch.objects.filter(job=job)] == [False] * 5
    assert [r["row"] for r in job.row_reports()] == list(range(2, 12))
    if LANES:
        assert sorted(number for number, _name in lanes) == [1, 2, 3, 4, 5]


def test_a_later_row_naming_a_customer_by_name_and_mobile_is_a_duplicate_in_any_batch(
    tmp_path: Path, alice: Any, lanes: Any
) -> None:
    """A person listed twice, with the ID number and without: the second row describes
    the customer the first registers, whether it falls in the same batch or a later one
    (in lanes, a later batch checks its rows before the earlier one has committed)."""
    rows = [_person(i) for i in range(6)]
    rows[2] = ["王小明", make_resident_id(RNG), "13912345678"]
    rows[3] = ["王小明", "", "13912345678"]  # the same batch as row 2 (batches of 2)
    rows[5] = [" 王小明", "", "139 1234 5678"]  # a later batch
    path = _sheet(tmp_path, rows, ["姓名", "身份证号", "手机"])
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    job = services.import_run(job=job, batch_size=2)

    assert job.status == ImportJob.Status.DONE, job.error
    assert Customer.objects.filter(name="王小明").count() == 1
    errors = {r["row"]: r["errors"][0] for r in job.row_reports() if r["status"] == "error"}
    assert set(errors) == {5, 7}
    assert all(
        e["message"] == "与第 4 行重复" and e["field"] == "手机号码" for e in errors.values()
    )


@pytest.mark.parametrize("later", [5, 6])
def test_a_later_row_naming_a_customer_by_the_mobile_an_earlier_row_changes_is_a_duplicate(
    later: int, tmp_path: Path, alice: Any, bobs_customer: Any, lanes: Any
) -> None:
    """Row 3 finds bob's 张三 by the ID number and gives him a new mobile; a row of a
    later batch names him by the mobile he had. Sequentially, row 3 has committed by
    then and the old mobile finds nobody (a second 张三 would be registered); in lanes,
    the next batch (row 5) is checked before row 3 commits and finds him as he was (his
    mobile would go back). Either way it is row 3's customer: a duplicate, nothing
    changes."""
    rows = [_person(i) for i in range(6)]
    rows[1] = ["张三", "11010519491231002X", "13800138001"]
    rows[later - 2] = ["张三", "", "13800138000"]
    path = _sheet(tmp_path, rows, ["姓名", "身份证号", "手机"])
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    job = services.import_run(job=job, batch_size=2)

    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"] == {
        "created": 4,
        "updated": 1,
        "unchanged": 0,
        "error": 1,
        "skipped": 0,
    }
    errors = {r["row"]: r["errors"][0] for r in job.row_reports() if r["status"] == "error"}
    assert errors == {later: {"message": "与第 3 行重复", "field": "手机号码"}}
    bobs_customer.refresh_from_db()
    assert bobs_customer.mobile == "13800138001"
    assert Customer.objects.filter(name="张三").count() == 1
    if LANES:
        assert sorted(number for number, _name in lanes) == [1, 2, 3]


def test_the_lanes_close_their_connections(tmp_path: Path, alice: Any, lanes: Any) -> None:
    """The lanes and the index writer each have a connection of their own: none is left
    open once the import has returned (a leaked one would keep the database busy)."""
    path = _sheet(tmp_path, [_person(i) for i in range(6)], ["姓名", "身份证号", "手机"])
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    assert services.import_run(job=job, batch_size=2).status == ImportJob.Status.DONE
    if not LANES:
        return
    assert len(lanes) == 3
    others: list[Any] = []
    for _attempt in range(40):  # a closed session's server process ends a moment later
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchall()
        if not others:
            break
        time.sleep(0.05)
    assert others == []
