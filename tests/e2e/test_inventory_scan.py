"""Inventory by scanning, in a real browser: the clerk opens a round over a cabinet, a USB
scanner types a label's number into the focused field and presses Enter, the page says
the bag is in place and counts it; the same label again is said, not counted twice."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e


def test_clerk_scans_a_cabinet_with_a_usb_scanner(
    page: Any, live_server: Any, console: ConsoleLog
) -> None:
    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create
    from dangan.locations import services as places
    from dangan.paper import inventory

    seed_roles()
    templates_load(actor=None)
    alice = user_create(
        actor=None, username="alice", roles=["archivist"], password=PASSWORD, department="档案室"
    )[0]
    customer = customer_create(actor=alice, kind="individual", name="张三", mobile="13800138000")
    dossier = dossier_create(
        actor=alice,
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    room = places.location_create(actor=alice, kind="room", name="档案室A")
    cabinet = places.location_create(actor=alice, kind="cabinet", name="03", parent=room)
    places.dossier_relocate(actor=alice, dossier=dossier, location={"node": cabinet.pk})
    found = inventory.round_start(actor=alice, location=cabinet)

    login(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/inventory/{found.pk}/")
    field = page.locator("#scan-text")
    assert field.evaluate("el => el === document.activeElement")  # ready for the scanner
    field.type(dossier.archive_number)  # a scanner types like a keyboard …
    field.press("Enter")  # … and ends with Enter
    result = page.locator("#scan-result")
    result.wait_for(state="visible")
    # Locator assertions, not wait_for_function: the Content-Security-Policy forbids eval.
    expect(page.locator("[data-count=found]")).to_have_text("1")
    assert "在位" in result.inner_text()
    assert field.input_value() == ""
    field.type(dossier.archive_number)
    field.press("Enter")
    expect(page.locator("#scan-result")).to_contain_text("不重复计数")
    assert page.locator("[data-count=found]").inner_text() == "1"
    page.locator("#close-round").click()
    page.wait_for_load_state("domcontentloaded")
    assert "盘点报告" in page.content()
    errors = [e for e in console.errors() if "400" not in e[1]]  # the refused repeat
    assert errors == []


@pytest.mark.parametrize("width", [1366, 390])
def test_clerk_resolves_a_missing_bag_and_records_a_periodic_check(
    browser: Any, live_server: Any, console: ConsoleLog, width: int
) -> None:
    """A closed round left a missing bag: the clerk writes what was done and the task is
    resolved; then the home page's due label check is recorded, with the problem found,
    and the plan's next date moves on a quarter."""
    import datetime

    from django.utils import timezone

    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create
    from dangan.locations import services as places
    from dangan.paper import inventory
    from dangan.paper.models import CheckPlan, Discrepancy

    seed_roles()
    templates_load(actor=None)
    alice = user_create(
        actor=None, username="alice", roles=["archivist"], password=PASSWORD, department="档案室"
    )[0]
    customer = customer_create(actor=alice, kind="individual", name="张三", mobile="13800138000")
    dossier = dossier_create(
        actor=alice,
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    room = places.location_create(actor=alice, kind="room", name="档案室A")
    cabinet = places.location_create(actor=alice, kind="cabinet", name="03", parent=room)
    places.dossier_relocate(actor=alice, dossier=dossier, location={"node": cabinet.pk})
    found = inventory.round_start(actor=alice, location=cabinet)
    inventory.round_close(actor=alice, inventory=found)
    CheckPlan.objects.exclude(kind="labels").update(active=False)

    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "alice", PASSWORD)
        expect(page.get_by_text("盘点差异待处理")).to_be_visible()
        page.goto(f"{live_server.url}/inventory/{found.pk}/")
        task = page.locator("#tasks li.task").first
        task.locator("input[name=resolution]").fill("已在 05 柜找到并放回")
        task.get_by_role("button", name="处理").click()
        expect(page.get_by_text("差异已处理")).to_be_visible()
        assert Discrepancy.objects.get().status == "resolved"

        page.goto(live_server.url + "/")
        page.get_by_role("link", name="到期的定期检查").click()
        expect(page.locator("#plans")).to_contain_text("今天到期")
        page.select_option("#check-outcome", "problems")
        page.fill("#check-findings", "03柜 标签脱落 2 处")
        page.fill("#check-actions", "已补打标签")
        page.get_by_role("button", name="记录", exact=True).click()
        expect(page.get_by_text("检查已记录")).to_be_visible()
        expect(page.locator("#records")).to_contain_text("03柜 标签脱落 2 处")
        plan = CheckPlan.objects.get(kind="labels")
        assert plan.next_due == timezone.localdate() + datetime.timedelta(days=90)
        assert page.evaluate("document.querySelector('main').scrollWidth") <= width + 1
    finally:
        context.close()
    assert console.errors() == []
