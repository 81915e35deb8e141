"""pipeline.parsed_sheet: the rows of a sheet, read and parsed in a child process that
never outlives the import (and in-process where no child can be started)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dangan.core.errors import ApplicationError
from dangan.importer import pipeline, services
from dangan.importer.models import ImportJob
from dangan.importer.services import run
from dangan.importer.tests.helpers import gone, wait_gone, xlsx_bytes

needs_fork = pytest.mark.skipif(not pipeline.child_available(), reason="needs fork (Linux)")

ROWS = 1000  # several chunks, more than the pipe's buffer holds


def _sheet(tmp_path: Path, rows: int = ROWS) -> Path:
    path = tmp_path / "客户.csv"
    lines = ["姓名,手机"] + [f"客户{i},139{i:08d}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _with_pid(values: list[Any], headers: list[str]) -> tuple[dict[str, Any], int]:
    return dict(zip(headers, values, strict=True)), os.getpid()


@needs_fork
def test_it_gives_the_rows_in_order_parsed_in_a_child(tmp_path: Path) -> None:
    path = _sheet(tmp_path)
    with pipeline.parsed_sheet(path, path.name, _with_pid, in_child=False) as sheet:
        expected = [(number, row) for number, (row, _pid) in sheet.rows]
    with pipeline.parsed_sheet(path, path.name, _with_pid, in_child=True) as sheet:
        assert (sheet.headers, sheet.total) == (["姓名", "手机"], ROWS)
        received = list(sheet.rows)
    assert [(number, row) for number, (row, _pid) in received] == expected
    assert [number for number, _row in expected] == list(range(2, ROWS + 2))
    child = {pid for _number, (_row, pid) in received}
    assert len(child) == 1 and os.getpid() not in child
    assert gone(child.pop())


@needs_fork
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("fake.xlsx", b"%PDF-1.4 not a spreadsheet", "不是有效的 Excel"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 Excel"),
        ("empty.csv", b"", "文件为空"),
    ],
)
def test_a_bad_file_fails_before_any_row_with_the_same_chinese_error(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    caught: list[ApplicationError] = []
    for in_child in (False, True):
        with (
            pytest.raises(ApplicationError) as error,
            pipeline.parsed_sheet(path, name, _with_pid, in_child=in_child),
        ):
            pytest.fail("the block must not be entered")
        caught.append(error.value)
    assert message in str(caught[0].message)
    assert [(str(e.message), e.field) for e in caught] == [(str(caught[0].message), "file")] * 2
    assert not [p for p in _children() if p.name == "dangan-import-reader"]


@needs_fork
def test_the_child_is_gone_when_the_reader_stops_early(tmp_path: Path) -> None:
    path = _sheet(tmp_path, rows=20_000)  # the child is still sending, blocked on the pipe
    with (
        pytest.raises(RuntimeError, match="stop"),
        pipeline.parsed_sheet(path, path.name, _with_pid, in_child=True) as sheet,
    ):
        _number, (_row, pid) = next(sheet.rows)
        raise RuntimeError("stop")
    assert gone(pid)


def _dying_at_row_300(values: list[Any], headers: list[str]) -> int:
    if values[0] == "客户300":
        os._exit(3)  # as if killed (out of memory, a crash in a C library)
    return os.getpid()


@needs_fork
def test_a_reader_that_dies_ends_the_import_with_a_clear_error(tmp_path: Path) -> None:
    path = _sheet(tmp_path)
    with (
        pytest.raises(ApplicationError) as caught,
        pipeline.parsed_sheet(path, path.name, _dying_at_row_300) as sheet,
    ):
        list(sheet.rows)
    assert "读取文件的进程意外退出" in str(caught.value.message)
    assert not [p for p in _children() if p.name == "dangan-import-reader"]


@needs_fork
def test_it_reads_in_process_when_no_child_can_be_started(tmp_path: Path, monkeypatch: Any) -> None:
    import multiprocessing.context

    def refuse(self: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    path = _sheet(tmp_path)
    with pipeline.parsed_sheet(path, path.name, _with_pid) as sheet:
        rows = list(sheet.rows)
    assert len(rows) == ROWS and {pid for _n, (_row, pid) in rows} == {os.getpid()}


@needs_fork
def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    """A parent killed with SIGKILL (test_kill.py kills a whole import) takes no cleanup
    step: the child must go by itself, even while it is busy and not writing to the pipe
    (which would fail once the parent is gone)."""
    path = _sheet(tmp_path, rows=20_000)
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from dangan.importer import pipeline\n"
        "def parse(values, headers):\n"
        f"    if values[0] == '客户{pipeline.CHUNK + 10}':\n"
        "        time.sleep(60)\n"
        "    return os.getpid()\n"
        f"with pipeline.parsed_sheet(Path({str(path)!r}), 'x.csv', parse) as sheet:\n"
        "    print(next(sheet.rows)[1], flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not gone(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    assert wait_gone(child)


@needs_fork
@pytest.mark.django_db
@pytest.mark.parametrize("in_child", [True, False])
def test_an_import_reports_the_same_either_way(
    tmp_path: Path, alice: Any, monkeypatch: Any, in_child: bool
) -> None:
    monkeypatch.setattr(pipeline, "child_available", lambda: in_child)
    parsed_by = tmp_path / "parsed-by"
    parse = run._parse_or_error

    def noting_the_process(*args: Any, **kwargs: Any) -> Any:
        with parsed_by.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return parse(*args, **kwargs)

    monkeypatch.setattr(run, "_parse_or_error", noting_the_process)
    rows = [
        ["姓名", "身份证号", "手机", "出生日期"],
        ["王建国", "11010519491231002X", "13900139000", "1949.12.31"],
        ["李娜", "", "1370013", "1990年1月2日"],
        ["赵强", "", "13600136000", "2015-13-45"],
    ]
    path = tmp_path / "客户.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    job = services.import_job_create(actor=alice, path=path, dry_run=True)
    job = services.import_run(job=job)
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "error": 2,
        "skipped": 0,
    }
    errors = {r["row"]: r["errors"][0]["message"] for r in job.row_reports() if "errors" in r}
    assert "手机号码" in errors[4] and "日期格式无法识别" in errors[5]
    parsers = {int(pid) for pid in parsed_by.read_text().split()}
    assert len(parsers) == 1 and (os.getpid() not in parsers) is in_child
    assert not [p for p in _children() if p.name == "dangan-import-reader"]


def _children() -> list[Any]:
    import multiprocessing

    return multiprocessing.active_children()


def test_the_sheet_streams_rather_than_being_read_whole() -> None:
    from dangan.importer import readers

    pulled = []

    def numbered() -> Any:
        for number in range(1, 100_001):
            pulled.append(number)
            yield number, ["姓名"] if number == 1 else [f"客户{number}"]

    sheet = readers._build(numbered(), 100_000)
    assert next(sheet.rows) == (2, ["客户2"])
    assert len(pulled) <= 20  # the header scan and a row, not the whole sheet
