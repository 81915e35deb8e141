"""A property company's 客服 takes a complaint from the phone call to the return visit in
the browser, on a desktop and on a phone-wide screen (SPEC C13, issue 28)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("DANGAN_SCREENSHOTS", "")


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()
    templates_load(actor=None)
    cs = user_create(
        actor=None,
        username="chen",
        roles=["customer_service"],
        password=PASSWORD,
        department="客服部",
        full_name="陈晓",
    )[0]
    owner = user_create(
        actor=None,
        username="bob",
        roles=["account_manager"],
        password=PASSWORD,
        department="销售一部",
    )[0]
    customer = customer_create(
        actor=owner,
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )
    fields = {"building": "3号楼", "entrance": "1", "floor": 12, "unit": "1203"}
    fields["move_in_date"] = "2026-10-01"
    dossier = dossier_create(
        actor=owner,
        customer=customer,
        archive_type=ArchiveType.objects.get(code="PROPERTY"),
        fields=fields,
    )
    return {"cs": cs, "customer": customer, "dossier": dossier}


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_customer_service_takes_a_complaint_to_the_return_visit(
    browser: Any, live_server: Any, world: dict[str, Any], console: ConsoleLog, width: int
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "chen", PASSWORD)
        page.goto(f"{live_server.url}/customers/{world['customer'].pk}/")
        page.get_by_role("link", name="受理投诉/报修").click()
        page.select_option("#id_category", "complaint")
        page.select_option("#id_dossier", str(world["dossier"].pk))
        page.fill("#id_contact_phone", "13912345678")
        page.fill("#id_description", "楼上卫生间漏水,天花板渗水")
        _shot(page, f"ticket-new-{width}")
        page.get_by_role("button", name="受理", exact=True).click()
        page.get_by_text("已受理工单").wait_for()
        assert "3号楼" in page.content() and "1203" in page.content()
        page.get_by_role("button", name="开始处理").click()
        page.get_by_text("工单状态已更新").wait_for()
        page.fill("textarea[name=outcome]", "已联系楼上住户维修防水层")
        page.get_by_role("button", name="处理完毕").click()
        page.get_by_text("工单状态已更新").wait_for()
        page.get_by_role("button", name="关闭工单").click()
        page.get_by_text("须回访客户后才能关闭").wait_for()
        page.select_option("select[name=satisfaction]", "4")
        page.fill("textarea[name=note]", "业主表示满意")
        page.get_by_role("button", name="登记回访").click()
        page.get_by_text("工单状态已更新").wait_for()
        page.get_by_role("button", name="关闭工单").click()
        page.locator(".badge", has_text="关闭").first.wait_for()
        _shot(page, f"ticket-closed-{width}")
        # The page's own content fits the screen (the header is the site's: tested apart).
        overflow = page.evaluate("document.querySelector('main').scrollWidth")
        assert overflow <= width + 1, f"the page is {overflow}px wide on a {width}px screen"
        page.goto(f"{live_server.url}/service/stats/")
        assert "满意" in page.content()
        _shot(page, f"service-stats-{width}")
        page.goto(f"{live_server.url}/customers/{world['customer'].pk}/")
        page.locator("#service-records").wait_for()
        _shot(page, f"customer-panel-{width}")
    finally:
        context.close()
    assert console.errors() == []
    from dangan.service.models import Ticket

    ticket = Ticket.objects.get()
    assert ticket.status == "closed" and ticket.satisfaction == 4
