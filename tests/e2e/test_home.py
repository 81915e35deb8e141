"""Each role starts the day on its home page, on a desktop and a phone-wide screen
(issue 26): the page shows that person's work and fits the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

ROLES = (
    "archivist",
    "account_manager",
    "dept_manager",
    "director",
    "customer_service",
    "finance",
    "auditor",
    "sysadmin",
)


@pytest.fixture
def people(live_server: Any) -> dict[str, Any]:
    from dangan.accounts.services import user_create

    seed_roles()
    return {
        role: user_create(
            actor=None, username=f"h_{role}", roles=[role], password=PASSWORD, department="销售一部"
        )[0]
        for role in ROLES
    }


@pytest.mark.parametrize("width", [1366, 390])
def test_every_role_lands_on_its_home_page(
    browser: Any, live_server: Any, people: dict[str, Any], console: ConsoleLog, width: int
) -> None:
    for role, user in people.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
        try:
            login(page, live_server.url, user.username, PASSWORD)
            assert page.url.rstrip("/") == live_server.url, (role, page.url)
            page.get_by_text("您好").first.wait_for()
            main_width = page.evaluate("document.querySelector('main').scrollWidth")
            assert main_width <= width + 1, (role, main_width)
        finally:
            context.close()
    assert console.errors() == []
