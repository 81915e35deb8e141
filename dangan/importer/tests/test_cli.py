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
