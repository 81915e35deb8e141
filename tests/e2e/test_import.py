"""The import wizard in Chromium at 1366 and 390 px (#29): the sample sheet download,
the mapping step with its unused columns, the report with skipped rows, and the
refused rows' download (opened with openpyxl: frozen header, widths, the reasons)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from dangan.importer.tests.helpers import xlsx_bytes
from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, clerk, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

__all__ = ["clerk"]  # the journey's archivist, a fixture here too
SHOTS = os.environ.get("DANGAN_SCREENSHOTS", "")  # a folder to keep the screenshots in


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


FITS = """() => Array.from(document.querySelectorAll("main *")).filter(
    (e) => !e.parentElement.closest("main [style*=overflow]")
).every((e) => e.getBoundingClientRect().right <= window.innerWidth + 1)"""


def _fits(page: Any) -> bool:
    """Nothing of the page's content wider than the window (a wide table scrolls in its
    own box). The site header's own fit at 390 px is the layout's, not this page's."""
    return bool(page.evaluate(FITS))


@pytest.mark.parametrize("width", [1366, 390])
def test_a_clerk_maps_an_unknown_column_imports_and_downloads_the_refused_rows(
    page: Any,
    live_server: Any,
    clerk: Any,
    console: ConsoleLog,
    tmp_path: Path,
    width: int,
    settings: Any,
) -> None:
    # The worker's part, run at once by the web process (no worker in this test).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server.url, "clerk", PASSWORD)
    page.goto(live_server.url + "/import/")
    # The sample sheet of an archive type.
    page.select_option("#sample-type", "CAR-SALE")
    with page.expect_download() as sample:
        page.get_by_role("button", name="下载示例表 (xlsx)").click()
    assert sample.value.suggested_filename == "import-sample-CAR-SALE.xlsx"
    book = load_workbook(io.BytesIO(Path(sample.value.path()).read_bytes()))
    assert "车架号" in [c.value for c in book.worksheets[0][1]]
    assert book.worksheets[0].freeze_panes == "A2"
    _shot(page, f"import-wizard-{width}")
    assert _fits(page)

    sheet = tmp_path / "客户名单.xlsx"
    rows = [
        ["姓名", "手机号（必填）", "客户来源", "身份证号"],
        ["林一", "13800138021", "展会", "11010519491231002X"],
        ["", "", "", ""],
        ["林二", "1380013", "网站", ""],
        ["合计", "", "", ""],
    ]
    sheet.write_bytes(xlsx_bytes(rows, title=None, hidden_first=False))
    page.set_input_files("#id_file", str(sheet))
    page.get_by_role("button", name="上传并核对列").click()
    page.wait_for_selector("#unused-columns")
    assert "客户来源" in page.inner_text("#unused-columns")
    assert page.input_value("select[aria-label='手机号（必填）']") == "mobile"
    _shot(page, f"import-mapping-{width}")
    assert _fits(page)
    page.select_option("select[aria-label='客户来源']", "remarks")
    page.get_by_role("button", name="试导入(不写入)").click()
    page.wait_for_selector("text=这是试导入", timeout=60_000)
    assert "跳过 1 个空行、1 个合计行" in page.inner_text("#skipped")
    page.get_by_role("button", name="确认导入(错误行将跳过)").click()
    page.wait_for_selector("text=已写入 1 行", timeout=60_000)
    _shot(page, f"import-report-{width}")
    assert _fits(page)
    with page.expect_download() as refused:
        page.get_by_role("link", name="下载错误行 (xlsx)").click()
    book = load_workbook(io.BytesIO(Path(refused.value.path()).read_bytes()))
    got = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert got[0] == ["姓名", "手机号（必填）", "客户来源", "身份证号", "错误原因"]
    assert got[1][0] == "林二" and got[1][4].startswith("第 4 行:手机号码")
    assert book.worksheets[0].freeze_panes == "A2"
    assert not console.errors()
