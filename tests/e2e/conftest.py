"""Browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live server.

We never download a browser (no `playwright install`): ./scripts/test installs Debian's
`chromium` when it is missing, and the tests use it from /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio event loop in this thread; Django's ORM calls made
# from test code would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module, stopped when the module's tests are done. While
    Playwright runs, this thread counts as running an asyncio event loop, and Django then
    keeps database connections per context instead of per thread: a later test's
    connection, opened in another context, was left open to the end of the run, and
    PostgreSQL refused to drop the test database ("being accessed by other users")."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class ConsoleLog:
    """Console messages and uncaught page errors seen while a test ran."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str]] = []  # (type, text, url)

    def errors(self) -> list[tuple[str, str, str]]:
        return [entry for entry in self.entries if entry[0] == "error"]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Any, console: ConsoleLog) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: console.entries.append((msg.type, msg.text, msg.location.get("url", ""))),
    )
    page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
    yield page
    context.close()
