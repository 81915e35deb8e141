"""Keeping filed records correct in a real browser (issue 23): Alice voids a wrong
document through the reason dialog, asks to correct a car's colour (the type says such a
change needs the manager's approval), Carol approves it from 修改审批, and the 变更记录
of the dossier shows before and after, who, why and who approved.

Alice works at 1366 px, Carol approves on a phone (390 px); no page of change control is
wider than the phone's screen. With DANGAN_SHOTS=<dir> the pages are also saved as PNGs
at 1366 and 390 px wide."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

WIDE, PHONE = 1366, 390


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def shoot(page: Any, name: str) -> None:
    target = os.environ.get("DANGAN_SHOTS")
    if not target:
        return
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(target) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDE, "height": 900})


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    from conftest import PDF_BYTES, car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create
    from dangan.documents.services import document_add

    seed_roles()
    templates_load(actor=None)

    def make(name: str, role: str, department: str, full_name: str) -> Any:
        return user_create(
            actor=None,
            username=name,
            roles=[role],
            password=PASSWORD,
            department=department,
            full_name=full_name,
        )[0]

    alice = make("alice", "archivist", "档案室", "李秀英")
    bob = make("bob", "account_manager", "销售一部", "王建国")
    make("carol", "dept_manager", "销售一部", "陈静")
    customer = customer_create(
        actor=bob,
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )
    car = ArchiveType.objects.get(code="CAR-SALE")
    dossier = dossier_create(actor=bob, customer=customer, archive_type=car, fields=car_fields())
    document = document_add(
        actor=alice,
        dossier=dossier,
        checklist_item=car.items.get(code="SALES_CONTRACT"),
        file_name="contract.pdf",
        file_chunks=[PDF_BYTES],
    )
    return {"dossier": dossier, "document": document}


def test_a_clerk_voids_corrects_and_a_manager_approves(
    browser: Any, page: Any, live_server: Any, world: dict[str, Any], console: ConsoleLog
) -> None:
    from playwright.sync_api import expect

    from dangan.archives.models import Dossier
    from dangan.changes.models import ChangeRecord
    from dangan.documents.models import Document

    base = live_server.url
    dossier = world["dossier"]
    page.set_default_timeout(120_000)  # a loaded machine serves pages slowly
    page.set_viewport_size({"width": WIDE, "height": 900})
    login(page, base, "alice", PASSWORD)
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    page.get_by_role("button", name="作废").click()
    dialog = page.locator("#void-dialog")
    assert dialog.is_visible()
    dialog.locator("textarea[name=reason]").fill("扫描件为他人合同")
    shoot(page, "void-dialog")
    dialog.get_by_role("button", name="确认作废").click()
    page.wait_for_load_state("domcontentloaded")
    assert Document.objects.get(pk=world["document"].pk).state == "void"
    assert "扫描件为他人合同" in page.content()

    # A field that needs a reason: refused without one, applied with one.
    page.goto(f"{base}/dossiers/{dossier.pk}/edit/")
    shoot(page, "dossier-edit")
    page.fill("#id_title", "张三 汽车销售档案(二手置换)")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("form.card")).to_contain_text("此项修改须填写修改原因")
    assert Dossier.objects.get(pk=dossier.pk).title == "张三 汽车销售档案"
    shoot(page, "dossier-edit-no-reason")
    page.fill("#id_reason", "客户以旧车置换,按合同更正题名")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#history")).to_contain_text("二手置换")
    expect(page.locator("#history")).to_contain_text("按合同更正题名")
    assert Dossier.objects.get(pk=dossier.pk).title == "张三 汽车销售档案(二手置换)"

    # A field that needs the manager's approval: a change request, applied when approved.
    page.goto(f"{base}/dossiers/{dossier.pk}/edit/")
    page.fill("#id_f_color", "珍珠白")
    page.fill("#id_reason", "颜色登记错误,以行驶证为准")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("domcontentloaded")
    assert "修改申请" in page.content()
    assert "待审批" in page.locator("#history").inner_text()

    carol = browser.new_context(locale="zh-CN", viewport={"width": PHONE, "height": 844})
    carol.set_default_timeout(120_000)
    other = carol.new_page()
    login(other, base, "carol", PASSWORD)
    other.goto(f"{base}/changes/")
    assert "珍珠白" in other.content()
    fits(other, PHONE)
    shoot(other, "change-approvals")
    other.get_by_role("button", name="同意").click()
    expect(other.locator("body")).to_contain_text("已批准")
    carol.close()

    record = ChangeRecord.objects.get(dossier=dossier, field="fields.color")
    assert record.after == "珍珠白" and record.approved_by is not None
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    history = page.locator("#history").inner_text()
    assert "珍珠白" in history and "陈静" in history
    page.locator("#history").scroll_into_view_if_needed()
    shoot(page, "dossier-history")
    page.goto(f"{base}/customers/{dossier.customer_id}/")
    shoot(page, "customer")
    page.set_viewport_size({"width": PHONE, "height": 844})
    for path in (f"/dossiers/{dossier.pk}/", f"/dossiers/{dossier.pk}/edit/", "/changes/"):
        page.goto(base + path)
        fits(page, PHONE)
    assert console.errors() == []
