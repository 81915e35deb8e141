"""kill -9 in the middle of an import (SPEC §6 reliability): only whole batches are
written, the job can be resumed, and the resumed job finishes the sheet.

Runs the real `dangan` command in child processes on a SQLite file of its own (the
embedded default) and, when the suite runs on PostgreSQL, also on a throw-away
PostgreSQL database: there two batches are in progress at once (services.lanes._in_lanes)
when the process dies."""

from __future__ import annotations

import contextlib
import datetime
import os
import random
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dangan.core.identifiers import make_resident_id
from dangan.importer.services import BATCH_SIZE
from dangan.importer.tests.helpers import (
    assert_no_id_numbers,
    children_of,
    wait_gone,
    xlsx_bytes,
)

ROWS = 3 * BATCH_SIZE
QUERY = """
import django, json
django.setup()
from dangan.customers.models import Customer
from dangan.importer.models import ImportJob
from dangan.audit.services import audit_verify
job = ImportJob.objects.get()
print(json.dumps({"customers": Customer.objects.count(), "status": job.status,
    "committed": job.committed_rows, "job": job.pk, "chain": list(audit_verify()) == []}))
"""


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    env.update(DANGAN_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="dangan.settings")
    if database_url:
        env["DANGAN_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A throw-away database on the PostgreSQL server the suite runs on; its URL."""
    import psycopg

    server = connection.settings_dict
    where = {
        "host": server["HOST"] or "localhost",
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"] or None,
    }
    name = f"dangan_kill_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **where) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        auth = f"{where['user']}:{where['password']}" if where["password"] else where["user"]
        yield f"postgres://{auth}@{where['host']}:{where['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **where) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any) -> Iterator[str]:
    """ "" (the data dir's SQLite file) or a throw-away PostgreSQL database's URL; the
    latter only when the suite itself runs on PostgreSQL."""
    if request.param == "sqlite":
        yield ""
        return
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite")
    with _postgres_database() as url:
        yield url


def _dangan(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "dangan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _dangan_fails(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "dangan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


def _state(env: dict[str, str]) -> dict[str, object]:
    import json

    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", QUERY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_kill_9_mid_import_leaves_whole_batches_and_resumes(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path / "data", database_url)
    _dangan(env, "init")
    _dangan(env, "user", "create", "clerk", "--role", "archivist", "--password", "Kill-test-2026")
    rng = random.Random(9)  # noqa: S311
    start = datetime.date(1950, 1, 1)
    rows = [
        [f"客户{i}", make_resident_id(rng, birth=start + datetime.timedelta(days=i)), ""]
        for i in range(ROWS)
    ]
    sheet = tmp_path / "客户.xlsx"
    sheet.write_bytes(xlsx_bytes([["姓名", "身份证号", "手机"], *rows], title=None))

    child = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "dangan.cli", "import", "customers", str(sheet), "--user", "clerk"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:  # the first batch has committed when its progress is printed
        if line.startswith(f"进度: {BATCH_SIZE}/"):
            break
    # While its process lives, a resume is refused, and says so plainly (the process is
    # stopped meanwhile, so that it does not finish the sheet before it is killed).
    child.send_signal(signal.SIGSTOP)
    busy = _dangan_fails(env, "import", "resume", str(_state(env)["job"]), "--user", "clerk")
    assert "导入仍在进行中" in busy and str(child.pid) in busy
    readers = children_of(child.pid)  # the process reading the sheet (pipeline.py)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert readers and all(wait_gone(pid) for pid in readers)  # not left blocked on a pipe

    after_kill = _state(env)
    written = int(str(after_kill["customers"]))
    assert after_kill["status"] == "running"  # nobody told the job it died
    assert BATCH_SIZE <= written < ROWS and written % BATCH_SIZE == 0  # whole batches only
    assert after_kill["committed"] == written
    assert after_kill["chain"] is True

    # At once: the process that ran it is gone, whatever the time since its last batch.
    out = _dangan(env, "import", "resume", str(after_kill["job"]), "--user", "clerk")
    assert f"已写入 {written} 行" in out
    assert f"新建 {ROWS}" in out and "错误 0" in out
    final = _state(env)
    assert final == {**final, "customers": ROWS, "status": "done", "committed": ROWS}
    assert final["chain"] is True
    # The job has ended: its sheet is gone, and no ID number of it is left in clear
    # anywhere under the data dir (database, its journal, the import folder).
    assert not any((env_dir := Path(env["DANGAN_DATA_DIR"]) / "imports").iterdir())
    assert_no_id_numbers(Path(env["DANGAN_DATA_DIR"]), [row[1] for row in rows])
    assert oct((env_dir).stat().st_mode & 0o777) == "0o700"
