"""The archive room changes its rules without a developer (issue 27 §5): a fine on the car
sales type's rules page, a bad one refused in place, an approval rule made with its
steps, and "谁来审批?" answered on the page — at desktop and phone widths."""

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
def room(live_server: Any) -> Any:
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load

    seed_roles()
    templates_load(actor=None)
    make = lambda name, role, dept, full: user_create(  # noqa: E731
        actor=None, username=name, roles=[role], password=PASSWORD, department=dept, full_name=full
    )[0]
    make("manager1", "dept_manager", "销售一部", "陈静")
    make("seller2", "account_manager", "销售二部", "刘洋")
    return make("clerk", "archivist", "档案室", "李秀英")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_archivist_edits_fines_and_approval_rules(
    browser: Any, live_server: Any, room: Any, console: ConsoleLog, width: int
) -> None:
    from dangan.archives.models import ArchiveType
    from dangan.circulation.models import ApprovalRule

    car = ArchiveType.objects.get(code="CAR-SALE")
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "clerk", PASSWORD)
        page.goto(f"{live_server.url}/archive-types/{car.pk}/")
        page.locator("#type-rules").click()
        expect(page.locator("#penalties")).to_be_visible()
        _shot(page, f"rules-type-{width}")

        # A negative fine: refused in Chinese, nothing saved.
        page.fill("#id_penalties-0-amount", "-50")
        page.locator("#penalties button[type=submit]").click()
        expect(page.locator("#rule-errors")).to_contain_text("不能为负数")
        car.refresh_from_db()
        assert car.penalties[0]["amount"] == "50.00"

        # The same fine raised to ¥80: saved as a new version.
        page.fill("#id_penalties-0-amount", "80")
        page.locator("#penalties button[type=submit]").click()
        expect(page.get_by_text("规则已保存,已记录为新版本")).to_be_visible()
        expect(page.locator("#versions tbody tr").first).to_contain_text("penalties")
        car.refresh_from_db()
        assert car.penalties[0]["amount"] == "80.00"

        # An approval rule for copies, made in the form.
        page.goto(f"{live_server.url}/rules/approval/")
        page.locator("#rule-new").click()
        page.fill("#id_name", f"复制申请:部门经理审批 {width}")
        page.fill("#id_priority", "5")
        page.select_option("#id_kind", "copy")
        page.select_option("#id_step1_role", "dept_manager")
        page.select_option("#id_step1_department", "customer")
        _shot(page, f"rules-approval-edit-{width}")
        page.locator("#rule-save").click()
        expect(page.locator("#approval-rules")).to_contain_text(f"复制申请:部门经理审批 {width}")
        rule = ApprovalRule.objects.get(name=f"复制申请:部门经理审批 {width}")
        assert rule.steps == [{"role": "dept_manager", "department": "customer"}]

        # Who would approve a copy of 销售一部's customer asked by 销售二部?
        page.select_option("#id_kind", "copy")
        page.select_option("#id_relation", "other")
        page.select_option("#id_requester_role", "account_manager")
        page.select_option("#id_requester_department", label="销售二部")
        page.select_option("#id_customer_department", label="销售一部")
        page.locator("#preview-go").click()
        expect(page.locator("#preview")).to_contain_text(f"复制申请:部门经理审批 {width}")
        expect(page.locator("#preview")).to_contain_text("陈静")
        _shot(page, f"rules-approval-{width}")
        main_width = page.evaluate("document.querySelector('main').scrollWidth")
        assert main_width <= width + 1
    finally:
        context.close()
    assert console.errors() == []
