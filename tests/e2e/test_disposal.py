"""Destruction in the browser (issue 24), on a desktop and a phone-wide screen: the
archivist takes an expired file from the due list onto a destruction list; then every
party signs in turn — the archive room and the business department appraise, the director
approves, and after the hold the auditor supervises the destruction, which the register
shows. The register is append-only in the database itself; on SQLite the test's teardown
lifts its triggers to clear it, as nothing in the product can."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("DANGAN_SCREENSHOTS", "")


@pytest.fixture
def register_cleared(transactional_db: Any) -> Iterator[None]:
    """Teardown: empty the append-only register before the test database is flushed."""
    yield
    from importlib import import_module

    from django.db import connection

    if connection.vendor != "sqlite":
        return  # PostgreSQL's flush truncates, which the row triggers do not see
    migration = import_module("dangan.disposal.migrations.0002_defaults")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS disposal_register_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS disposal_register_no_delete")
        cursor.execute("DELETE FROM disposal_registerentry")
        for statement in migration.SQLITE:
            cursor.execute(statement)


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


@pytest.fixture
def parties(live_server: Any) -> dict[str, Any]:
    """An account manager's expired car file, and the people who take part in its end."""
    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.lifecycle import dossier_transition
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType, Dossier
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()
    templates_load(actor=None)

    def person(username: str, role: str, department: str = "") -> Any:
        return user_create(
            actor=None, username=username, roles=[role], password=PASSWORD, department=department
        )[0]

    people = {
        "clerk": person("clerk", "archivist", "档案室"),
        "sales": person("sales", "account_manager", "销售一部"),
        "manager": person("manager", "dept_manager", "销售一部"),
        "director": person("director", "director"),
        "auditor": person("auditor", "auditor"),
    }
    customer = customer_create(
        actor=people["sales"], kind="individual", name="赵六", mobile="13900139000"
    )
    dossier = dossier_create(
        actor=people["sales"],
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    Dossier.objects.filter(pk=dossier.pk).update(retention="D10")
    dossier_transition(
        actor=people["clerk"],
        dossier=dossier,
        to="terminated",
        reason="合同终止",
        effective="2012-05-01",
    )
    return {**people, "dossier": dossier}


@pytest.mark.parametrize("width", [1366, 390])
def test_every_party_signs_from_the_list_to_the_register(
    browser: Any,
    live_server: Any,
    register_cleared: None,
    parties: dict[str, Any],
    console: ConsoleLog,
    width: int,
) -> None:
    from dangan.disposal.models import DisposalList, RegisterEntry

    dossier = parties["dossier"]

    def as_user(username: str) -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: console.entries.append(("error", str(exc), "")))
        login(page, live_server.url, username, PASSWORD)
        return context, page

    def fits(page: Any) -> None:
        assert page.evaluate("document.querySelector('main').scrollWidth") <= width + 1

    context, page = as_user("clerk")
    page.goto(f"{live_server.url}/disposal/due/")
    page.check(f"#due-{dossier.pk}")
    page.fill("#d-reason", "保管期满")
    page.get_by_role("button", name="列入销毁清单并送鉴定").click()
    page.get_by_text("已编制销毁清单,送鉴定").wait_for()
    found = DisposalList.objects.get()
    list_url = f"{live_server.url}/disposal/lists/{found.pk}/"
    page.check(f"input[name=items][value='{found.items.get().pk}']")
    page.fill("#a-note", "无保存价值")
    page.get_by_role("button", name="提交鉴定").click()
    page.get_by_text("档案室").first.wait_for()
    fits(page)
    context.close()

    context, page = as_user("manager")
    page.goto(list_url)
    page.check(f"input[name=items][value='{found.items.get().pk}']")
    page.get_by_role("button", name="提交鉴定").click()
    page.get_by_role("button", name="批准销毁").wait_for(state="detached")
    found.refresh_from_db()
    assert found.status == "approval"
    context.close()

    context, page = as_user("director")
    page.goto(list_url)
    page.fill("#p-note", "同意销毁")
    page.get_by_role("button", name="批准销毁").click()
    page.get_by_text("待销毁").first.wait_for()
    found.refresh_from_db()
    assert found.status == "hold" and found.hold_until is not None
    fits(page)
    context.close()

    # The hold has run out (months in real life).
    import datetime

    from django.utils import timezone

    DisposalList.objects.filter(pk=found.pk).update(
        hold_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    context, page = as_user("auditor")
    page.goto(list_url)
    page.fill("#x-note", "碎纸机销毁,监销")
    page.get_by_role("button", name="监销签字并销毁").click()
    page.get_by_text("已销毁").first.wait_for()
    page.goto(f"{live_server.url}/disposal/register/")
    page.get_by_text(dossier.archive_number).first.wait_for()
    fits(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/disposal-register-{width}.png", full_page=True)
    context.close()
    entry = RegisterEntry.objects.get()
    assert entry.archive_number == dossier.archive_number
    assert console.errors() == []
