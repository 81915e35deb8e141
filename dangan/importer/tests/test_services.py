from __future__ import annotations

import datetime
import os
import random
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import audit_actions
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.core.identifiers import make_mobile, make_resident_id
from dangan.customers.models import Customer
from dangan.importer import services
from dangan.importer.models import ColumnMapping, ImportBatch, ImportJob
from dangan.importer.services import liveness, run
from dangan.importer.tests.helpers import dead_runner, fail_second_batch, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "手机", "出生日期", "客户等级", "档案类型", "地址", "备注"]
RNG = random.Random(11)  # noqa: S311


def _id(birth: datetime.date) -> str:
    return make_resident_id(RNG, birth=birth)


def _bad_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _run(actor: Any, path: Path, *, dry_run: bool, batch_size: int = 500) -> ImportJob:
    job = services.import_job_create(actor=actor, path=path, dry_run=dry_run)
    return services.import_run(job=job, batch_size=batch_size)


def _errors(job: ImportJob) -> dict[int, str]:
    return {
        r["row"]: ";".join(e["message"] for e in r["errors"])
        for r in job.row_reports()
        if r["status"] == "error"
    }


@pytest.fixture
def messy(tmp_path: Path, alice: Any, bobs_customer: Any) -> Path:
    rows = [
        HEADER,
        [
            "王建国",
            _id(datetime.date(1985, 11, 13)),
            "13900139000",
            "1985.11.13",
            "主力客户",
            "",
            "3-1203",
            "=1+1",
        ],
        ["李娜", _id(datetime.date(1990, 1, 2)), "13700137000", "1990年1月2日", "", "", "", ""],
        ["赵强", _id(datetime.date(2015, 11, 13)), "13600136000", 42321, "", "", "", ""],
        ["钱坏号", _bad_check(_id(datetime.date(1980, 1, 1))), "13500135000", "", "", "", "", ""],
        ["孙未知", _id(datetime.date(1982, 3, 4)), "13400134000", "", "", "NOPE", "", ""],
        ["冒名", "11010519491231002X", "13300133000", "", "", "", "", ""],
        ["周日期", _id(datetime.date(1979, 5, 6)), "13200132000", "2015-13-45", "", "", "", ""],
    ]
    return _write(tmp_path, "客户.xlsx", xlsx_bytes(rows, formulas={"H3": "公式结果"}))


def test_it_reports_each_bad_row_in_chinese_and_writes_nothing_on_a_dry_run(
    messy: Path, alice: Any
) -> None:
    before_customers = Customer.objects.count()
    before_audit = AuditEntry.objects.count()
    job = _run(alice, messy, dry_run=True)
    assert job.status == ImportJob.Status.DONE, job.error
    errors = _errors(job)
    assert set(errors) == {6, 7, 8, 9}, errors
    assert "校验位" in errors[6]
    assert "未知的档案类型" in errors[7] and "NOPE" in errors[7]
    assert "张三" in errors[8]  # the duplicate names the existing customer
    assert "日期格式无法识别" in errors[9]
    assert job.report["counts"]["created"] == 3
    assert Customer.objects.count() == before_customers
    assert AuditEntry.objects.count() == before_audit
    assert job.committed_rows == 0


def test_the_report_names_the_person_of_every_refused_row(messy: Path, alice: Any) -> None:
    job = _run(alice, messy, dry_run=True)
    names = {r["row"]: r.get("name") for r in job.row_reports() if r["status"] == "error"}
    # refused by a check digit, an unknown type, an existing customer, and while the
    # sheet was read (the date)
    assert names == {6: "钱坏号", 7: "孙未知", 8: "冒名", 9: "周日期"}


def test_a_row_refused_for_its_dossier_also_says_what_is_wrong_with_the_customer(
    tmp_path: Path, alice: Any, templates: Any
) -> None:
    number = _id(datetime.date(1980, 1, 1))
    rows = [
        HEADER,
        ["钱坏号", _bad_check(number), "13500135000", "", "", "CAR-SALE", "", ""],
        ["孙重复", number, "13400134000", "", "", "", "", ""],
        ["孙重复", number, "13300133000", "", "", "", "", ""],
    ]
    job = _run(alice, _write(tmp_path, "c.xlsx", xlsx_bytes(rows)), dry_run=True)
    reports = {r["row"]: r for r in job.row_reports()}  # the sheet's rows: title, header, …
    errors = {e["field"]: e["message"] for e in reports[3]["errors"]}
    assert "校验位" in errors["证件号码"]  # the customer's own error, first
    assert next(iter(errors)) == "证件号码"
    # the dossier's fields under their labels in the type, not as fields.vin
    assert "必填" in errors["车架号"] and "必填" in errors["发动机号"]
    assert not [field for field in errors if field.startswith("fields.")]
    assert reports[4]["status"] == "created"
    assert reports[5]["name"] == "孙重复" and "与第 4 行重复" in reports[5]["errors"][0]["message"]


def test_it_imports_the_good_rows_and_reimporting_changes_nothing(messy: Path, alice: Any) -> None:
    job = _run(alice, messy, dry_run=False)
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.committed_rows == 3
    wang = Customer.objects.get(name="王建国")
    assert wang.birth_date == datetime.date(1985, 11, 13)
    assert wang.tier == Customer.Tier.KEY
    assert wang.remarks == "公式结果"  # the formula's cached value
    assert Customer.objects.get(name="李娜").birth_date == datetime.date(1990, 1, 2)
    assert Customer.objects.get(name="赵强").birth_date == datetime.date(2015, 11, 13)  # serial
    assert audit_actions(action="create", object_type="customer").count("create") >= 3
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()

    again = _run(alice, messy, dry_run=False)
    assert again.report["counts"]["unchanged"] == 3
    assert again.report["counts"]["created"] == 0
    assert not AuditEntry.objects.filter(seq__gt=seq, action__in=["create", "change"]).exists()


def test_it_updates_a_changed_row_with_before_and_after_in_the_audit(
    tmp_path: Path, alice: Any
) -> None:
    number = _id(datetime.date(1970, 2, 3))
    first = _write(
        tmp_path,
        "a.xlsx",
        xlsx_bytes([HEADER, ["吴敏", number, "13900139001", "", "", "", "北京", ""]]),
    )
    _run(alice, first, dry_run=False)
    second = _write(
        tmp_path,
        "b.xlsx",
        xlsx_bytes([HEADER, ["吴敏", number, "13900139002", "", "", "", "上海", ""]]),
    )
    job = _run(alice, second, dry_run=False)
    assert job.report["counts"]["updated"] == 1
    customer = Customer.objects.get(name="吴敏")
    assert (customer.mobile, customer.address) == ("13900139002", "上海")
    entry = AuditEntry.objects.filter(action="change", object_id=str(customer.pk)).get()
    assert entry.detail["before"]["address"] == "北京"
    assert entry.detail["after"]["address"] == "上海"


def test_it_reads_a_gbk_csv(tmp_path: Path, alice: Any) -> None:
    text = f"姓名,身份证号,手机\n郑爽,{_id(datetime.date(1991, 1, 1))},13900139003\n"
    path = _write(tmp_path, "gbk.csv", text.encode("gbk"))
    job = _run(alice, path, dry_run=False)
    assert job.report["counts"]["created"] == 1, job.row_reports()
    assert Customer.objects.filter(name="郑爽").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.xlsx", b"", "文件为空"),
        ("blank.csv", b"  \n\n", "文件为空"),
        ("fake.xlsx", b"%PDF-1.4 not a spreadsheet", "不是有效的 Excel"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 Excel"),
    ],
)
def test_it_refuses_unreadable_files_clearly(
    tmp_path: Path, alice: Any, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.import_job_create(actor=alice, path=_write(tmp_path, name, data))
    assert message in str(caught.value.message)
    assert not ImportJob.objects.exists()


def test_it_leaves_whole_batches_when_a_batch_fails_midway(
    tmp_path: Path, alice: Any, monkeypatch: Any
) -> None:
    rows = [HEADER[:3]] + [
        [f"客户{i}", _id(datetime.date(1960, 1, 1) + datetime.timedelta(days=i)), make_mobile(RNG)]
        for i in range(800)
    ]
    path = _write(tmp_path, "big.xlsx", xlsx_bytes(rows, title=None, hidden_first=False))
    fail_second_batch(monkeypatch)  # batches of 500 rows
    job = _run(alice, path, dry_run=False)
    assert job.status == ImportJob.Status.FAILED
    assert "disk full" in job.error
    assert Customer.objects.count() == 500  # batch 1 whole, batch 2 not at all
    assert job.committed_rows == 500
    assert job.report["committed"] == [[2, 501]]
    assert job.report["stopped_after_row"] == 501
    assert list(ImportBatch.objects.filter(job=job).values_list("committed", flat=True)) == [True]


def test_a_failed_job_resumes_after_its_last_committed_batch(
    tmp_path: Path, alice: Any, monkeypatch: Any
) -> None:
    people = [
        [f"客户{i}", _id(datetime.date(1961, 1, 1) + datetime.timedelta(days=i)), ""]
        for i in range(800)
    ]
    people[650] = [people[10][0], people[10][1], ""]  # a copy of a row committed before
    path = _write(tmp_path, "big.xlsx", xlsx_bytes([HEADER[:3], *people], title=None))
    restore = fail_second_batch(monkeypatch)
    job = _run(alice, path, dry_run=False)
    assert job.status == ImportJob.Status.FAILED and services.job_resumable(job)
    restore()

    job = services.import_job_resume(actor=alice, job=job)
    assert job.status == ImportJob.Status.PENDING
    job = services.import_run(job=job)
    assert job.status == ImportJob.Status.DONE, job.error
    assert Customer.objects.count() == 799
    assert job.report["committed"] == [[2, 501], [502, 801]]
    assert job.report["resumed_after_row"] == 501
    assert job.report["counts"] == {
        "created": 799,
        "updated": 0,
        "unchanged": 0,
        "error": 1,
        "skipped": 0,
    }
    assert "与第 12 行重复" in _errors(job)[652]
    assert job.committed_rows == 799 and job.processed_rows == 800
    assert audit_actions(action="import_resume") == ["import_resume"]
    assert not services.job_resumable(job)


def test_it_resumes_a_running_job_only_once_its_process_is_gone(
    tmp_path: Path, alice: Any, carol: Any
) -> None:
    path = _write(tmp_path, "one.xlsx", xlsx_bytes([["姓名"], ["甲乙"]], title=None))
    job = _run(alice, path, dry_run=False)
    with pytest.raises(InvalidTransition, match="已完成"):
        services.import_job_resume(actor=alice, job=job)
    # Run by this very process (alive): refused, plainly.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, runner=liveness.runner_here()
    )
    job.refresh_from_db()
    assert not services.job_resumable(job)
    with pytest.raises(InvalidTransition, match="导入仍在进行中") as refused:
        services.import_job_resume(actor=alice, job=job)
    assert str(os.getpid()) in str(refused.value.message)
    # The same process id, but another process (its start time differs): gone.
    host, pid, start = liveness.runner_here().split()
    ImportJob.objects.filter(pk=job.pk).update(runner=f"{host} {pid} {int(start) + 1}")
    job.refresh_from_db()
    assert services.job_resumable(job)
    # Run on another host: alive while it makes progress, dead after STALE_AFTER.
    ImportJob.objects.filter(pk=job.pk).update(runner="elsewhere 4242 1")
    job.refresh_from_db()
    assert not services.job_resumable(job)
    stale = timezone.now() - services.STALE_AFTER - datetime.timedelta(seconds=1)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=stale)
    job.refresh_from_db()
    assert services.job_resumable(job)
    # A process of this host that has ended: resumable at once, whatever the time.
    ImportJob.objects.filter(pk=job.pk).update(runner=dead_runner(), updated_at=timezone.now())
    job.refresh_from_db()
    with pytest.raises(Forbidden):  # somebody without the import permission
        services.import_job_resume(actor=carol, job=job)
    assert services.import_job_resume(actor=alice, job=job).status == ImportJob.Status.PENDING
    assert audit_actions(action="import_resume") == ["import_resume"]


def test_it_remembers_the_column_mapping(tmp_path: Path, alice: Any) -> None:
    headers = ["客户称呼", "电话号"]
    services.mapping_remember(headers, {"客户称呼": "name", "电话号": "mobile"})
    assert ColumnMapping.objects.count() == 1
    assert services.guess_mapping(headers, None) == {"客户称呼": "name", "电话号": "mobile"}
    assert services.guess_mapping(["姓名", "手机"], None) == {"姓名": "name", "手机": "mobile"}


def test_it_refuses_users_without_the_import_permission(tmp_path: Path, bob: Any) -> None:
    path = _write(tmp_path, "a.csv", "姓名\n甲\n".encode())
    with pytest.raises(ApplicationError):
        services.import_job_create(actor=bob, path=path)


def test_reimporting_rows_without_id_numbers_looks_them_up_per_batch(
    tmp_path: Path, alice: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangan.core.identifiers import make_uscc

    rng = random.Random(4)  # noqa: S311
    sheet = [["客户名称", "统一社会信用代码", "手机"]]
    sheet += [[f"公司{i}", make_uscc(rng), ""] for i in range(30)]
    sheet += [[f"个人{i}", "", make_mobile(rng)] for i in range(30)]
    path = _write(tmp_path, "orgs.xlsx", xlsx_bytes(sheet, title=None))
    assert _run(alice, path, dry_run=False).report["counts"]["created"] == 60
    with CaptureQueriesContext(connection) as queries:
        again = _run(alice, path, dry_run=False)
    assert again.report["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 60,
        "error": 0,
        "skipped": 0,
    }
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"customers_customer"' in q["sql"].split(" WHERE ")[0]
    ]
    assert len(lookups) <= 4  # per batch, not one or two for each of the 60 rows


def test_a_large_import_refreshes_the_planner_statistics_where_nobody_else_does(
    tmp_path: Path, alice: Any, monkeypatch: Any
) -> None:
    from django.db import connection

    from dangan.core import bulk

    rows = [HEADER[:3]] + [
        [f"客户{i}", _id(datetime.date(1970, 1, 1) + datetime.timedelta(days=i)), ""]
        for i in range(3)
    ]
    path = _write(tmp_path, "客户.xlsx", xlsx_bytes(rows, title=None, hidden_first=False))
    calls: list[bool] = []
    monkeypatch.setattr(run, "STATISTICS_AFTER", 3)
    monkeypatch.setattr(bulk, "refresh_statistics", lambda: calls.append(True))
    job = _run(alice, path, dry_run=False)
    assert job.committed_rows == 3
    # SQLite keeps no statistics of its own; PostgreSQL's autovacuum analyses by itself.
    assert calls == ([True] if connection.vendor == "sqlite" else [])


def test_a_large_sheet_goes_in_larger_batches_a_tenth_of_it_each(
    tmp_path: Path, alice: Any, monkeypatch: Any
) -> None:
    assert services.batch_size_for(0) == services.BATCH_SIZE
    assert services.batch_size_for(50 * services.BATCH_SIZE) == 5 * services.BATCH_SIZE
    assert services.batch_size_for(10**7) == services.MAX_BATCH_SIZE
    monkeypatch.setattr(run, "BATCH_SIZE", 5)
    monkeypatch.setattr(run, "MAX_BATCH_SIZE", 40)
    rows = [HEADER[:3]] + [
        [f"客户{i}", _id(datetime.date(1971, 1, 1) + datetime.timedelta(days=i)), ""]
        for i in range(120)
    ]
    path = _write(tmp_path, "客户.xlsx", xlsx_bytes(rows, title=None, hidden_first=False))
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    job = services.import_run(job=job)  # no batch size: the sheet's decides
    assert job.committed_rows == 120
    spans = list(ImportBatch.objects.filter(job=job).values_list("first_row", "last_row"))
    assert spans == [(2 + 12 * i, 13 + 12 * i) for i in range(10)]  # ten batches of 12
