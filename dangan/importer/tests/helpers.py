from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def xlsx_bytes(
    rows: list[list[Any]],
    *,
    title: str | None = "客户名单(2015年导出)",
    hidden_first: bool = True,
    formulas: dict[str, str] | None = None,
) -> bytes:
    """A messy workbook: a hidden sheet first, a merged title row, then a header and rows.
    `formulas` maps a cell (e.g. "H3") to the cached value Excel would have stored."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    if hidden_first:
        first.title = "说明"
        first.append(["这张表是隐藏的", "不应被导入"])
        first.sheet_state = "hidden"
        ws = wb.create_sheet("客户")
    else:
        ws = first
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(rows[0]), 2))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    if not formulas:
        return data
    # openpyxl writes formulas without a cached value; add one as Excel would.
    src = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = content.decode()
                for ref, cached in formulas.items():
                    text = re.sub(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                        rf'<c r="{ref}" t="str"><f>\2</f><v>{cached}</v>',
                        text,
                    )
                content = text.encode()
            dst.writestr(item, content)
    return target.getvalue()


def gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaped (an orphan in a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid …; comm may contain spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def fail_second_batch(monkeypatch: Any) -> Callable[[], None]:
    """Make the import's second batch fail unexpectedly ("disk full"): its call of
    customers_create_bulk, one per batch, raises (counted under a lock, as the lanes of
    an import on PostgreSQL call it from two threads). Returns what puts the real one
    back, for a resume."""
    from dangan.customers import services as customer_services

    real = customer_services.customers_create_bulk
    calls = [0]
    lock = threading.Lock()

    def flaky(**kwargs: Any) -> Any:
        with lock:
            calls[0] += 1
            failing = calls[0] == 2
        if failing:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(customer_services, "customers_create_bulk", flaky)
    return lambda: monkeypatch.setattr(customer_services, "customers_create_bulk", real)


def dead_runner() -> str:
    """A job's runner (services.liveness) that is a process of this host that has ended."""
    import socket
    import subprocess

    done = subprocess.Popen(["true"])  # noqa: S607 - coreutils' true
    done.wait()
    return f"{socket.gethostname()} {done.pid} 1"


def assert_no_id_numbers(data_dir: Path, numbers: list[str]) -> None:
    """No file under `data_dir` (the database and its journals included) holds any of
    `numbers` in clear, as ASCII or UTF-16 (SQLite may store text either way)."""
    needles = [n.encode() for n in numbers if n] + [n.encode("utf-16-le") for n in numbers if n]
    for path in data_dir.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        found = [n for n in needles if n in content]
        assert not found, f"{path} holds {found[:3]} in clear"
