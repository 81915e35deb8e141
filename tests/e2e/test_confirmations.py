"""A sign-off in the browser (issue 27 §6), on a desktop and a phone-wide screen: the
flow sheet the archive room filed waits for the sales manager, who finds it on the home
page, confirms it in the queue, and the dossier's checklist counts it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1366, 390])
def test_the_sales_manager_confirms_the_flow_sheet(
    browser: Any, live_server: Any, console: ConsoleLog, width: int
) -> None:
    from conftest import PDF_BYTES
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create
    from dangan.documents.services import document_add

    seed_roles()
    templates_load(actor=None)

    def person(username: str, role: str, department: str) -> Any:
        return user_create(
            actor=None, username=username, roles=[role], password=PASSWORD, department=department
        )[0]

    clerk = person("clerk", "archivist", "档案室")
    sales = person("sales", "account_manager", "销售一部")
    person("manager", "dept_manager", "销售一部")
    customer = customer_create(actor=sales, kind="individual", name="孙七", mobile="13700137000")
    sale = ArchiveType.objects.get(code="RE-SALE")
    dossier = dossier_create(
        actor=sales,
        customer=customer,
        archive_type=sale,
        fields={
            "building": "3",
            "unit": "1-1203",
            "payment": "按揭",
            "contract_date": "2026-03-01",
        },
    )
    document_add(
        actor=clerk,
        dossier=dossier,
        checklist_item=sale.items.get(code="FLOW_TRACK"),
        file_name="flow.pdf",
        file_chunks=[PDF_BYTES],
    )

    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "manager", PASSWORD)
        page.get_by_role("link", name="待我确认的文件").first.click()
        row = page.locator("#waiting tr[data-confirmation]")
        expect(row).to_contain_text(dossier.archive_number)
        row.locator("input[name=note]").fill("房号已核对")
        row.get_by_role("button", name="确认").click()
        expect(page.get_by_text("已确认").first).to_be_visible()
        expect(page.locator("#waiting")).to_contain_text("没有待您确认的文件")
        assert page.evaluate("document.querySelector('main').scrollWidth") <= width + 1
        page.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
        expect(page.locator("tr[data-item=FLOW_TRACK]")).to_contain_text("已归档")
    finally:
        context.close()
    assert console.errors() == []


@pytest.mark.parametrize("width", [1366, 390])
def test_a_sign_off_left_too_long_reaches_the_archive_room(
    browser: Any, live_server: Any, console: ConsoleLog, width: int
) -> None:
    """Issue 27 §8: the deposit receipt waits for finance; two days on, the worker's
    escalation run passes it to the archive room as well. The second archivist finds it on
    the home page, sees in the queue why it is theirs, and confirms it."""
    import datetime

    from django.utils import timezone

    from conftest import PDF_BYTES
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.circulation.approvals import approvals_escalate
    from dangan.customers.services import customer_create
    from dangan.documents.services import document_add

    seed_roles()
    templates_load(actor=None)

    def person(username: str, role: str, department: str) -> Any:
        return user_create(
            actor=None, username=username, roles=[role], password=PASSWORD, department=department
        )[0]

    clerk = person("clerk", "archivist", "档案室")
    person("keeper", "archivist", "档案室")
    person("cashier", "finance", "财务部")
    sales = person("sales", "account_manager", "销售一部")
    customer = customer_create(actor=sales, kind="individual", name="孙七", mobile="13700137000")
    sale = ArchiveType.objects.get(code="RE-SALE")
    dossier = dossier_create(
        actor=sales,
        customer=customer,
        archive_type=sale,
        fields={
            "building": "3",
            "unit": "1-1203",
            "payment": "按揭",
            "contract_date": "2026-03-01",
        },
    )
    document_add(
        actor=clerk,
        dossier=dossier,
        checklist_item=sale.items.get(code="DEPOSIT_RECEIPT"),
        file_name="receipt.pdf",
        file_chunks=[PDF_BYTES],
    )
    assert approvals_escalate(now=timezone.now() + datetime.timedelta(hours=49)) == 1

    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "keeper", PASSWORD)
        page.get_by_role("link", name="待我确认的文件").first.click()
        row = page.locator("#waiting tr[data-confirmation]")
        expect(row).to_contain_text(dossier.archive_number)
        expect(row).to_contain_text("财务")
        expect(row.locator(".escalation")).to_contain_text("超时未审批")
        expect(row.locator(".escalation")).to_contain_text("已转由 档案管理员 确认")
        assert page.evaluate("document.querySelector('main').scrollWidth") <= width + 1
        row.get_by_role("button", name="确认").click()
        expect(page.get_by_text("已确认").first).to_be_visible()
        expect(page.locator("#waiting")).to_contain_text("没有待您确认的文件")
        page.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
        expect(page.locator("tr[data-item=DEPOSIT_RECEIPT]")).to_contain_text("已归档")
    finally:
        context.close()
    assert console.errors() == []
