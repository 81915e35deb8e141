"""Import throughput (SPEC §6: ≥ 5,000 rows/s validated and committed).

Generates N customer rows with valid identity numbers and mobiles (dangan.core.identifiers
make_*), writes them as an xlsx sheet, and times `import_run` — dry run and commit — in a
throw-away data dir. Every row goes through customer_create and the audit trail. The
machine may be shared: the CPU time of the importer and of its sheet reader (a child
process) is printed beside the wall time, with the load average.

Usage: python benchmarks/import_throughput.py [--rows 10000] [--csv] [--batch-size N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_sheet(path: Path, rows: int, *, as_csv: bool) -> None:
    from openpyxl import Workbook

    from dangan.core.identifiers import make_mobile, make_resident_id

    rng = random.Random(2026)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
    header = ["姓名", "身份证号", "手机", "出生日期", "地址"]
    data = []
    seen: set[str] = set()
    while len(data) < rows:
        number = make_resident_id(rng)
        if number in seen:
            continue
        seen.add(number)
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        unit = f"{rng.randint(1, 12)}-{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
        data.append([name, number, make_mobile(rng), birth.strftime("%Y.%m.%d"), unit])
    if as_csv:
        lines = [",".join(header)] + [",".join(str(v) for v in row) for row in data]
        path.write_text("\n".join(lines) + "\n", encoding="gb18030")
        return
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(header)
    for row in data:
        ws.append(row)
    wb.save(path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--csv", action="store_true", help="a GB18030 CSV instead of xlsx")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="rows per transaction (default: the importer's, by the sheet's size)",
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="dangan-bench-import-")
    os.environ["DANGAN_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dangan.accounts.services import user_create
    from dangan.importer.services import import_job_create, import_run

    clerk, _password = user_create(
        actor=None,
        username="bench",
        roles=["archivist"],
        password="bench-Passw0rd!",
        department="档案室",
    )
    sheet = Path(data_dir) / ("bench.csv" if args.csv else "bench.xlsx")
    write_sheet(sheet, args.rows, as_csv=args.csv)
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for dry_run in (True, False):
        job = import_job_create(actor=clerk, path=sheet, dry_run=dry_run)
        server = _server_cpu()
        start, cpu, reader = time.perf_counter(), time.process_time(), _children_cpu()
        job = import_run(job=job, batch_size=args.batch_size or None)
        elapsed = time.perf_counter() - start
        cpu, reader = time.process_time() - cpu, _children_cpu() - reader
        server = _server_cpu() - server
        counts = job.report.get("counts", {})
        label = "dry run" if dry_run else "commit "
        print(
            f"{label}: {job.processed_rows} rows in {elapsed:.2f} s = "
            f"{job.processed_rows / elapsed:,.0f} rows/s  {counts}  [{job.status}]  "
            f"CPU: importer {cpu:.2f} s, sheet reader {reader:.2f} s"
            + (f", database server (all processes) {server:.2f} s" if server else "")
        )
    return 0


def _server_cpu() -> float:
    """CPU seconds of the whole PostgreSQL server so far (every process of it: the import
    runs on several connections, see importer.services._in_lanes), read from /proc when
    the server runs on this machine; 0 on SQLite, whose work is the importer's own. The
    postmaster's own time and its finished children's, plus its live children's."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        postmaster = int(_stat(backend)[1])
        fields = _stat(postmaster)
        total = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    child = _stat(int(entry.name))
                except OSError:
                    continue
                if int(child[1]) == postmaster:
                    total += int(child[11]) + int(child[12])
    except OSError:
        return 0.0
    return total / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, … (utime is [11])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children_cpu() -> float:
    """CPU seconds of the finished child processes: the sheet reader (pipeline.py)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    sys.exit(main())
