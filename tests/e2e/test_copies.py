"""Paper copies in the browser (issue 27 §7): the archivist hands out a lecture's member
list for a week, recalls it, takes it back and records its destruction."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("DANGAN_SCREENSHOTS", "")


@pytest.fixture
def people(live_server: Any) -> Any:
    from dangan.accounts.services import user_create

    seed_roles()
    make = lambda name, role, dept, full: user_create(  # noqa: E731
        actor=None, username=name, roles=[role], password=PASSWORD, department=dept, full_name=full
    )[0]
    return make("clerk", "archivist", "档案室", "李秀英"), make(
        "service", "customer_service", "客服部", "吴刚"
    )


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_member_list_goes_out_comes_back_and_is_destroyed(
    browser: Any, live_server: Any, people: Any, console: ConsoleLog, width: int
) -> None:
    from dangan.paper.models import PaperCopy

    _clerk, holder = people
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "clerk", PASSWORD)
        page.goto(f"{live_server.url}/copies/")
        page.fill("#id_title", f"3月12日讲座会员名单 {width}")
        page.fill("#id_purpose", "讲座后完善会员资料")
        page.fill("#id_copies", "2")
        page.select_option("#id_issued_to", str(holder.pk))
        _shot(page, f"copies-list-{width}")
        page.locator("#issue-go").click()
        expect(page.locator("#copy-facts")).to_contain_text("吴刚")
        page.locator("#recall button[type=submit]").click()
        expect(page.locator(".sub")).to_contain_text("已催还")
        page.fill("#id_returned_copies", "2")
        page.locator("#return-go").click()
        expect(page.locator(".sub")).to_contain_text("已收回")
        page.fill("#id_witness", "张审计")
        page.locator("#destroy-go").click()
        expect(page.locator("#copy-facts")).to_contain_text("碎纸机粉碎")
        _shot(page, f"copies-detail-{width}")
        copy = PaperCopy.objects.get(title=f"3月12日讲座会员名单 {width}")
        assert copy.status == PaperCopy.Status.DESTROYED
        assert copy.returned_copies == 2
        main_width = page.evaluate("document.querySelector('main').scrollWidth")
        assert main_width <= width + 1
    finally:
        context.close()
    assert console.errors() == []
