"""`dangan verify --save-anchor/--anchor` and `dangan audit anchor`: the head kept outside
the database catches a trail cut back together with its head row."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dangan import cli
from dangan.audit.models import AuditEntry, AuditHead
from dangan.audit.services import audit_record, chain_head

pytestmark = pytest.mark.django_db


def _trail(n: int = 4) -> None:
    for i in range(n):
        audit_record(actor=None, action="view", object_type="dossier", object_id=str(i))


def test_it_saves_the_head_and_checks_the_trail_against_it(tmp_path: Path, capsys: Any) -> None:
    _trail()
    anchor = tmp_path / "anchor.json"
    assert cli.main(["verify", "--save-anchor", str(anchor)]) == 0
    saved = json.loads(anchor.read_text())
    assert (saved["seq"], saved["hash"]) == (chain_head().seq, chain_head().hash)
    out = capsys.readouterr().out
    assert "审计链头" in out and saved["hash"] in out
    _trail(1)  # the trail grows: the old anchor still matches
    assert cli.main(["verify", "--anchor", str(anchor)]) == 0
    # Cut back past the anchor, head row and all, in SQL.
    keep = AuditEntry.objects.order_by("seq")[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq > %s",  # noqa: S608
            [keep.seq],
        )
        cursor.execute(
            f"UPDATE {AuditHead._meta.db_table} SET last_seq = %s, last_hash = %s",  # noqa: S608
            [keep.seq, keep.entry_hash],
        )
    capsys.readouterr()
    assert cli.main(["verify"]) == 0  # the database agrees with itself
    assert cli.main(["verify", "--anchor", str(anchor)]) == 1
    assert f"第 {keep.seq + 1} 条" in capsys.readouterr().out


def test_it_refuses_a_file_that_is_no_anchor(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"seq": 1}')
    assert cli.main(["verify", "--anchor", str(bad)]) == 2
    assert cli.main(["verify", "--anchor", str(tmp_path / "missing.json")]) == 2
    assert "链头" in capsys.readouterr().err


def test_audit_anchor_prints_or_writes_the_head_of_a_whole_chain(
    tmp_path: Path, capsys: Any
) -> None:
    _trail()
    assert cli.main(["audit", "anchor"]) == 0
    assert json.loads(capsys.readouterr().out)["seq"] == chain_head().seq
    assert cli.main(["audit", "anchor", "-o", str(tmp_path / "a.json")]) == 0
    AuditEntry.objects.filter(seq=2).update(action="edited")
    assert cli.main(["audit", "anchor", "-o", str(tmp_path / "b.json")]) == 1
    assert not (tmp_path / "b.json").exists()
    assert cli.main(["verify", "--save-anchor", str(tmp_path / "c.json")]) == 1
    assert not (tmp_path / "c.json").exists()


def test_the_worker_writes_the_head_to_the_log(caplog: Any) -> None:
    _trail(2)
    stop = threading.Event()
    stop.set()  # one round only
    with caplog.at_level(logging.INFO, logger="dangan.audit.anchor"):
        thread = threading.Thread(target=cli._log_chain_head, args=(stop, 60))
        thread.start()
        thread.join()
    # A thread has its own database connection: it may see the head or an empty trail,
    # and logs one or the other; the format is what matters.
    assert any("audit chain head #" in record.getMessage() for record in caplog.records)
