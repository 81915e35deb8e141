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
