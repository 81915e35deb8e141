"""The archivist's first journey, in a real browser (Chromium, headless).

Log in, create a customer, open a 汽车销售档案 dossier (custom fields arrive by htmx),
see the checklist flag 客户信息卡 as 缺失, upload its scan by htmx and see it 已归档.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog

pytestmark = pytest.mark.e2e

PASSWORD = "Zhanghu-2026!"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def seed_roles() -> None:
    """The live server needs committed data, so these tests run with transactional_db,
    and every transactional test flushes the migration-seeded roles afterwards."""
    from conftest import ensure_default_roles

    ensure_default_roles()


@pytest.fixture
def clerk(live_server: Any) -> Any:
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load

    seed_roles()
    templates_load(actor=None)
    user, _password = user_create(
        actor=None, username="clerk", roles=["archivist"], password=PASSWORD, department="档案室"
    )
    return user


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_archivist_files_a_car_sale_scan(
    page: Any, live_server: Any, clerk: Any, console: ConsoleLog, tmp_path: Path
) -> None:
    from dangan.archives.models import ArchiveType, ChecklistItem, Dossier

    car_sale = ArchiveType.objects.get(code="CAR-SALE")
    info_card = ChecklistItem.objects.get(archive_type=car_sale, code="INFO_CARD")
    base = live_server.url

    login(page, base, "clerk", PASSWORD)
    assert "/login/" not in page.url, page.content()

    # 新建客户: a person, 张三.
    page.goto(base + "/customers/")
    page.get_by_role("link", name="新建客户").click()
    page.wait_for_url(re.compile(r"/customers/new/$"))
    page.check("input[name=kind][value=individual]")
    page.fill("#id_name", "张三")
    page.fill("#id_id_number", "11010519491231002X")
    page.fill("#id_mobile", "13800138000")
    page.locator("#customer-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    assert page.locator("h1").first.inner_text().strip() == "张三"

    # 新建档案: choosing the type loads its custom fields by htmx.
    page.select_option("#id_archive_type", value=str(car_sale.pk))
    page.wait_for_selector("[name=f_vin]")
    page.fill("[name=f_vin]", "1M8GDM9AXKP042788")
    page.fill("[name=f_engine_no]", "EA211-998877")
    page.fill("[name=f_model]", "明锐 1.5L")
    page.fill("[name=f_color]", "白色")
    page.fill("[name=f_sales_consultant]", "王建国")
    page.fill("[name=f_purchase_date]", "2026-10-08")
    page.fill("[name=f_sales_channel]", "展厅")
    page.fill("[name=f_delivery_date]", "2026-10-10")
    page.check("[name=f_plated_by_dealer]")
    page.get_by_role("button", name="建档").click()
    page.wait_for_url(re.compile(r"/dossiers/\d+/$"))

    # The dossier page: archive number shown, 客户信息卡 missing.
    dossier = Dossier.objects.get(archive_type=car_sale)
    assert dossier.archive_number
    assert dossier.archive_number in page.locator("h1").first.inner_text()
    row = page.locator(f'#checklist tr[data-item="{info_card.code}"]')
    assert "缺失" in row.inner_text()

    # Upload its scan; the checklist re-renders by htmx.
    scan = tmp_path / "info-card.pdf"
    scan.write_bytes(PDF_BYTES)
    upload = page.locator("#upload form")
    upload.locator("select[name=checklist_item]").select_option(value=str(info_card.pk))
    upload.locator("input[type=file][name=file]").set_input_files(str(scan))
    with page.expect_response(
        lambda r: r.url.endswith(f"/dossiers/{dossier.pk}/documents/") and r.status == 200
    ):
        upload.locator("button[type=submit]").click()
    row = page.locator(f'#checklist tr[data-item="{info_card.code}"]')
    row.get_by_text("已归档").wait_for()
    assert "已归档" in row.inner_text()
    assert "info-card.pdf" in page.content()
    assert dossier.documents.count() == 1

    shot = tmp_path / "dossier.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert console.errors() == []


def test_wrong_password_shows_a_chinese_error(
    page: Any, live_server: Any, clerk: Any, console: ConsoleLog
) -> None:
    login(page, live_server.url, "clerk", "not-the-password")
    assert "/login/" in page.url
    error = page.locator(".errorlist").first
    error.wait_for()
    text = error.inner_text()
    assert CJK.search(text), text
    assert "密码" in text
    assert console.errors() == []
