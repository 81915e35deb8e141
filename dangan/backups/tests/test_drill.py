"""The restore drill (issue 22): make data, back up while another process writes, restore
into an empty data dir (and an empty database), and compare records, files and the audit
chain. Runs the real `dangan` command in child processes, on a SQLite file of its own and,
when the suite runs on PostgreSQL, on throw-away PostgreSQL databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dangan.backups.bag import sha256_file
from dangan.importer.tests.test_kill import _env, _postgres_database

PASSPHRASE = "drill-passphrase-2026"

WRITER = """
import datetime, os, random, sys, django
django.setup()
from dangan.accounts.models import User
from dangan.core.identifiers import make_resident_id
from dangan.customers.services import customer_create
from dangan.documents.storage import blob_store, spool
clerk = User.objects.get(username="clerk")
start, count, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(start)
i = start
while (count and i < start + count) or (not count and not os.path.exists(stop)):
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i)
    customer_create(actor=clerk, kind="individual", name=f"客户{i}",
        id_number=make_resident_id(rng, birth=born), mobile=f"139{i:08d}")
    blob_store(spool([b"%PDF-1.4\\n" + os.urandom(3000) + b"\\n%%EOF\\n"]))
    i += 1
    if not count and i == start + 1:
        open(stop + ".started", "w").close()
print(i - start)
"""

DUMP = """
import json, django
django.setup()
from django.db import connection
from dangan.audit.services import audit_verify
from dangan.backups.snapshot import pg_tables, sqlite_tables
cursor = connection.cursor()
tables = sqlite_tables(cursor) if connection.vendor == "sqlite" else pg_tables(cursor)
rows = {}
for table in sorted(t for t in tables if not t.startswith("search_fts")):
    cursor.execute(f'SELECT * FROM "{table}"')
    rows[table] = sorted(json.dumps(list(r), default=str) for r in cursor.fetchall())
print(json.dumps({"rows": rows, "chain": [p.reason for p in audit_verify()]}))
"""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _dangan(env: dict[str, str], *args: str) -> str:
    done = _run(env, "-m", "dangan.cli", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _state(env: dict[str, str]) -> dict[str, Any]:
    done = _run(env, "-c", DUMP)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)[0] for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: Any) -> Iterator[tuple[str, str]]:
    """("", "") for SQLite files in the data dirs, or two throw-away PostgreSQL databases
    (the instance's and the empty one to restore into)."""
    if request.param == "sqlite":
        yield "", ""
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite")
    with _postgres_database() as source, _postgres_database() as target:
        yield source, target


@pytest.mark.slow
def test_it_restores_a_backup_taken_while_writing(
    tmp_path: Path, databases: tuple[str, str]
) -> None:
    source_url, target_url = databases
    env = {**_env(tmp_path / "data", source_url), "DANGAN_BACKUP_PASSPHRASE": PASSPHRASE}
    _dangan(env, "init")
    _dangan(env, "user", "create", "clerk", "--role", "archivist", "--password", "Drill-2026x")
    stop = tmp_path / "stop"
    assert _run(env, "-c", WRITER, "0", "20", str(stop)).returncode == 0

    writer = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WRITER, "1000", "0", str(stop)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not Path(f"{stop}.started").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        out = _dangan(env, "backup", "--to", str(tmp_path / "backups"))
    finally:
        stop.touch()
        written, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors
    assert int(written) > 0  # the writer was writing while the backup ran
    (entry,) = list((tmp_path / "backups").iterdir())  # exactly one new entry
    assert str(entry) in out and "记录 (records)" in out
    meta = json.loads((entry / "dangan-backup.json").read_text(encoding="utf-8"))

    restored = tmp_path / "restored"
    target_env = {**_env(restored, target_url), "DANGAN_BACKUP_PASSPHRASE": PASSPHRASE}
    out = _dangan(target_env, "restore", str(entry))
    assert "审计日志哈希链完整" in out and "0 个异常" in out  # dangan verify passed
    assert "审计链与保存的链头一致" in out  # ... and matches the backup's audit head

    before, after = _state(env), _state(target_env)
    assert after["chain"] == []
    counts = {table: len(rows) for table, rows in after["rows"].items()}
    assert counts == {t: n for t, n in meta["counts"].items() if t in counts}
    assert counts["customers_customer"] >= 20
    for table, rows in after["rows"].items():
        # The source went on writing after the snapshot: the restored rows are its rows
        # up to then (tables the writer only inserts into hold a subset; the others match).
        if table in ("audit_audithead", "django_session", "backups_backuprun"):
            continue
        assert set(rows) <= set(before["rows"][table]), table
    head = [r for r in after["rows"]["audit_auditentry"]]
    assert len(head) == meta["audit_head"]["seq"]
    files, source_files = _files(restored / "files"), _files(tmp_path / "data" / "files")
    assert len(files) == meta["files"] == counts["documents_blob"]
    assert all(source_files[name] == sha for name, sha in files.items())  # byte-identical
    assert all(name.endswith(sha) for name, sha in files.items())
    assert json.loads((restored / "secrets.json").read_text()) == json.loads(
        (tmp_path / "data" / "secrets.json").read_text()
    )
    assert os.stat(restored / "secrets.json").st_mode & 0o777 == 0o600
