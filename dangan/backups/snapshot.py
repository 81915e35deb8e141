"""A consistent copy of the database, taken while the server keeps writing.

SQLite: the online backup API copies the pages under one read transaction (WAL lets the
writers go on). PostgreSQL: one REPEATABLE READ transaction exports its snapshot, pg_dump
dumps exactly that snapshot, and the counts, the audit head and the list of stored files
are read in the same transaction, so the manifest describes the dump and nothing later.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQLITE_NAME = "dangan.sqlite3"
PG_NAME = "dangan.pgdump"
HEAD_TABLE = "audit_audithead"
BLOB_TABLE = "documents_blob"
ENTRY_TABLE = "audit_auditentry"


class SnapshotError(Exception):
    pass


@dataclass
class Snapshot:
    engine: str  # "sqlite" or "postgresql"
    member: str  # file name under data/database/
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    audit_at: datetime.datetime | None  # time of the last entry
    blobs: list[str]  # sha256 of every stored file the snapshot knows


State = tuple[dict[str, int], int, str, "datetime.datetime | None", list[str]]


def _read_state(cursor: Any, tables: list[str]) -> State:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - catalogue names
        counts[table] = int(cursor.fetchone()[0])
    seq, head = 0, "0" * 64
    if HEAD_TABLE in tables:
        cursor.execute(f"SELECT last_seq, last_hash FROM {HEAD_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        if row is not None:
            seq, head = int(row[0]), str(row[1])
    at = None
    if seq:
        cursor.execute(f"SELECT at FROM {ENTRY_TABLE} WHERE seq = %s" % int(seq))  # noqa: S608
        found = cursor.fetchone()
        at = _aware(found[0]) if found else None
    blobs: list[str] = []
    if BLOB_TABLE in tables:
        cursor.execute(f"SELECT sha256 FROM {BLOB_TABLE} ORDER BY sha256")  # noqa: S608
        blobs = [str(row[0]) for row in cursor.fetchall()]
    return counts, seq, head, at, blobs


def _aware(value: Any) -> datetime.datetime:
    """SQLite hands back text (UTC, as Django stores it), PostgreSQL an aware datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return datetime.datetime.fromisoformat(str(value)).replace(tzinfo=datetime.UTC)


def sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [str(row[0]) for row in cursor.fetchall()]


def sqlite_snapshot(source: str, directory: Path) -> Snapshot:
    target = directory / SQLITE_NAME
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise SnapshotError(f"SQLite quick_check: {check}")
        cursor = dst.cursor()
        counts, seq, head, at, blobs = _read_state(cursor, sqlite_tables(cursor))
    finally:
        dst.close()
        src.close()
    return Snapshot("sqlite", SQLITE_NAME, counts, seq, head, at, blobs)


def pg_env(params: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for pg_dump/pg_restore/psql from Django-style
    connection settings (NAME, USER, PASSWORD, HOST, PORT)."""
    args = []
    if params.get("HOST"):
        args += ["-h", str(params["HOST"])]
    if params.get("PORT"):
        args += ["-p", str(params["PORT"])]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return args, env


def pg_connect(params: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=str(params["NAME"]),
        user=str(params.get("USER") or "") or None,
        password=str(params.get("PASSWORD") or "") or None,
        host=str(params.get("HOST") or "") or None,
        port=str(params.get("PORT") or "") or None,
    )


def pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return [str(row[0]) for row in cursor.fetchall()]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SnapshotError(f"{name} not found (install postgresql-client)")
    return path


def pg_snapshot(params: dict[str, Any], directory: Path) -> Snapshot:
    target = directory / PG_NAME
    conn = pg_connect(params)
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        args, env = pg_env(params)
        done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                tool("pg_dump"),
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--file={target}",
                str(params["NAME"]),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SnapshotError(f"pg_dump: {done.stderr.strip()}")
        cursor = conn.cursor()
        counts, seq, head, at, blobs = _read_state(cursor, pg_tables(cursor))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return Snapshot("postgresql", PG_NAME, counts, seq, head, at, blobs)
