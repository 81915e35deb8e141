"""The archivist takes an expired file from the due list onto a destruction list in the
browser, on a desktop and a phone-wide screen (issue 24). The later steps (appraisal,
approval, supervised destruction) are run through the pages and the API in
dangan/disposal/tests/: a destroyed item's register line cannot be flushed away by a
browser test's teardown, by design."""

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
def expired(live_server: Any) -> Any:
    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.lifecycle import dossier_transition
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType, Dossier
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()
    templates_load(actor=None)
    clerk = user_create(
        actor=None, username="clerk", roles=["archivist"], password=PASSWORD, department="档案室"
    )[0]
    customer = customer_create(actor=clerk, kind="individual", name="王五", mobile="13800138000")
    dossier = dossier_create(
        actor=clerk,
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    Dossier.objects.filter(pk=dossier.pk).update(retention="D10")
    dossier_transition(
        actor=clerk, dossier=dossier, to="terminated", reason="合同终止", effective="2012-05-01"
    )
    return dossier


@pytest.mark.parametrize("width", [1366, 390])
def test_the_archivist_lists_an_expired_file(
    browser: Any, live_server: Any, expired: Any, console: ConsoleLog, width: int
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    try:
        login(page, live_server.url, "clerk", PASSWORD)
        page.goto(f"{live_server.url}/disposal/due/")
        page.get_by_text("2022-05-01").wait_for()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/disposal-due-{width}.png", full_page=True)
        page.check(f"#due-{expired.pk}")
        page.fill("#d-reason", "保管期满")
        page.get_by_role("button", name="列入销毁清单并送鉴定").click()
        page.get_by_text("已编制销毁清单,送鉴定").wait_for()
        assert page.locator("text=提交鉴定").count() == 1
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/disposal-list-{width}.png", full_page=True)
        main_width = page.evaluate("document.querySelector('main').scrollWidth")
        assert main_width <= width + 1
    finally:
        context.close()
    assert console.errors() == []
