"""Full export and import (issue 22 §3): an instance's export read into an empty one gives
the same records, byte-identical files and an audit trail that verifies."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dangan.backups.tests.test_drill import WRITER, _dangan, _env, _files, _run, databases

__all__ = ["databases"]

ROWS = """
import json, django
django.setup()
from dangan.audit.models import AuditEntry
from dangan.backups.portable import _models, _rows
rows = {m._meta.label_lower: sorted(json.dumps(r, default=str, sort_keys=True) for r in _rows(m))
        for m in _models()}
print(json.dumps(rows))
"""


def _rows(env: dict[str, str]) -> dict[str, list[str]]:
    done = _run(env, "-c", ROWS)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_an_export_read_into_an_empty_instance_is_the_same_instance(
    tmp_path: Path, databases: tuple[str, str], capsys: Any
) -> None:
    source_url, target_url = databases
    env = _env(tmp_path / "a", source_url)
    _dangan(env, "init")
    _dangan(env, "user", "create", "clerk", "--role", "archivist", "--password", "Drill-2026x")
    assert _run(env, "-c", WRITER, "0", "12", str(tmp_path / "stop")).returncode == 0
    export = tmp_path / "export.zip"
    done = _run(env, "-m", "dangan.cli", "export", "all", "-o", str(export))
    assert done.returncode == 0, done.stderr
    assert "明文" in done.stderr and os.stat(export).st_mode & 0o777 == 0o600
    with zipfile.ZipFile(export) as zf:
        assert "README.md" in zf.namelist()
        customers = [json.loads(x) for x in zf.read("data/customers.customer.jsonl").splitlines()]
        manifest = json.loads(zf.read("manifest.json"))
    assert len(customers) == 12 and all(len(c["fields"]["id_number"]) == 18 for c in customers)
    assert "id_number_encrypted" not in customers[0]["fields"]
    before = _rows(env)

    target = _env(tmp_path / "b", target_url)
    out = _dangan(target, "import", "all", str(export))
    assert "已导入" in out
    out = _dangan(target, "verify")
    assert "审计日志哈希链完整" in out and "0 个异常" in out
    after = _rows(target)
    head = manifest["audit_head"]["seq"]
    for label, rows in before.items():
        if label in ("audit.auditentry", "audit.audithead"):
            continue
        assert after[label] == rows, label
    entries = [json.loads(r) for r in after["audit.auditentry"]]
    old = [json.loads(r) for r in before["audit.auditentry"]]
    assert [e for e in entries if e["fields"]["seq"] <= head] == [
        e for e in old if e["fields"]["seq"] <= head
    ]
    assert _files(tmp_path / "b" / "files") == _files(tmp_path / "a" / "files")
    # A second import is refused: the instance is no longer empty.
    done = _run(target, "-m", "dangan.cli", "import", "all", str(export))
    assert done.returncode == 2 and "空实例" in done.stderr


def test_an_edited_export_is_refused(tmp_path: Path, sam: Any) -> None:
    from dangan.backups import portable
    from dangan.core.errors import ApplicationError

    export = tmp_path / "e.zip"
    portable.export_all(output=export)
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(export) as zin, zipfile.ZipFile(edited, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "data/accounts.user.jsonl":
                data = data.replace(b"sam", b"eve")
            zout.writestr(item, data)
    with pytest.raises(ApplicationError, match="损坏或被改动"):
        portable.import_all(source=edited)
