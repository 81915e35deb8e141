from __future__ import annotations

import datetime
import random
from pathlib import Path
from typing import Any

import pytest

from dangan.cli import main
from dangan.core.identifiers import make_resident_id
from dangan.customers.models import Customer
from dangan.importer.tests.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_dry_runs_from_the_command_line(tmp_path: Path, alice: Any, capsys: Any) -> None:
    good = make_resident_id(random.Random(5), birth=datetime.date(1975, 5, 5))  # noqa: S311
    path = tmp_path / "客户.xlsx"
    path.write_bytes(xlsx_bytes([["姓名", "身份证号"], ["甲乙", good], ["丙丁", good[:17] + "Y"]]))
    assert main(["import", "customers", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "进度: 2/2 行" in out
    assert "第 4 行 错误 丙丁" in out and "身份证号码" in out
    assert "新建 1" in out and "错误 1" in out
    assert not Customer.objects.exists()


def test_it_exports_from_the_command_line(tmp_path: Path, alice: Any, capsys: Any) -> None:
    target = tmp_path / "c.xlsx"
    assert main(["export", "customers", "-o", str(target), "--user", "alice"]) == 0
    assert target.stat().st_size > 0
    assert "已导出 0 行" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_the_entries_a_killed_import_owes_as_it_starts(
    tmp_path: Path, alice: Any, monkeypatch: Any
) -> None:
    """`dangan worker` (started by `dangan serve`) first writes the search entries of
    committed batches that a dead, never resumed import still owed, then runs tasks."""
    from django.core import management

    from dangan.circulation import tasks
    from dangan.importer.models import ImportBatch, ImportJob
    from dangan.importer.services import import_job_create, import_run
    from dangan.search import index
    from dangan.search.tests.test_search import count

    rows = [["姓名", "手机"], ["诸葛亮", "13900139000"], ["诸葛瑾", "13900139001"]]
    path = tmp_path / "客户.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    job = import_run(job=import_job_create(actor=alice, path=path, dry_run=False))
    index.clear()  # killed after the commit, before the entries were written
    ImportBatch.objects.filter(job=job).update(indexed=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    assert count(alice, "诸葛", "customer") == 0
    ran: list[str] = []
    monkeypatch.setattr(management, "call_command", lambda name, **options: ran.append(name))
    monkeypatch.setattr(tasks, "schedule_reminders", lambda: None)  # not this test's
    assert main(["worker"]) == 0
    assert ran == ["db_worker"]
    assert count(alice, "诸葛", "customer") == 2


def test_the_worker_still_runs_its_tasks_when_that_indexing_fails(
    monkeypatch: Any, capsys: Any
) -> None:
    from django.core import management

    from dangan.circulation import tasks
    from dangan.importer import services

    def fails() -> int:
        raise RuntimeError("database unreachable")

    ran: list[str] = []
    monkeypatch.setattr(services, "import_index_pending", fails)
    monkeypatch.setattr(management, "call_command", lambda name, **options: ran.append(name))
    monkeypatch.setattr(tasks, "schedule_reminders", lambda: None)
    assert main(["worker"]) == 0
    assert ran == ["db_worker"]
    assert "补写导入的检索索引失败" in capsys.readouterr().err
    # Its clocks have finished their round: nothing writes on after the worker stopped (on
    # PostgreSQL a clock still writing deadlocked with the test's flush).
    import threading

    assert [t.name for t in threading.enumerate() if t.name.startswith("dangan-")] == []
