"""Use of the archive in a real browser: request → two approvals → view → expire.

Gina (business staff of 销售二部) may know Bob's customer but not read its dossier. She
asks to view it; Carol (manager of the customer's department) and then Alice (archivist)
approve from their queues, each in a browser of their own; Gina reads the dossier; when
the grant runs out the dossier page is gone (404).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    """Committed data for the live server. Transactional tests flush the migration-seeded
    roles and approval rules, so they are put back first (as circulation's conftest does)."""
    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()  # roles and the default approval rules
    templates_load(actor=None)

    def make(name: str, role: str, department: str, full_name: str) -> Any:
        return user_create(
            actor=None,
            username=name,
            roles=[role],
            password=PASSWORD,
            department=department,
            full_name=full_name,
        )[0]

    users = {
        "alice": make("alice", "archivist", "档案室", "李秀英"),
        "bob": make("bob", "account_manager", "销售一部", "王建国"),
        "carol": make("carol", "dept_manager", "销售一部", "陈静"),
        "gina": make("gina", "business_staff", "销售二部", "何静"),
    }
    customer = customer_create(
        actor=users["bob"],
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )
    from dangan.archives.models import ArchiveType

    dossier = dossier_create(
        actor=users["bob"],
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    return {**users, "dossier": dossier}


def approve_in_own_browser(browser: Any, base: str, username: str, number: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        login(page, base, username, PASSWORD)
        assert "/login/" not in page.url, page.content()
        assert page.locator("#nav-approvals").is_visible()  # the 待审批 badge in the menu
        page.locator("#nav-approvals").click()
        page.wait_for_url(re.compile(r"/circulation/approvals/$"))
        row = page.locator("#approvals tr", has_text=number)
        row.locator("input[name=note]").fill(f"{username} 同意")
        with page.expect_response(lambda r: "/approve/" in r.url and r.status == 200):
            row.get_by_role("button", name="同意").click()
        page.locator("#approvals tr", has_text=number).get_by_text("已同意").wait_for()
    finally:
        context.close()


def test_request_approve_view_expire(
    page: Any, browser: Any, live_server: Any, world: dict[str, Any], console: ConsoleLog
) -> None:
    from dangan.accounts.models import Grant
    from dangan.circulation.models import AccessRequest

    base = live_server.url
    dossier = world["dossier"]
    dossier_url = f"{base}/dossiers/{dossier.pk}/"

    login(page, base, "gina", PASSWORD)
    assert "/login/" not in page.url, page.content()
    assert page.goto(dossier_url).status == 404  # not hers to read, yet

    # Gina asks to view the dossier.
    page.goto(f"{base}/circulation/requests/new/?dossier={dossier.pk}")
    assert dossier.archive_number in page.locator("h1 + .sub, .pagehead .sub").first.inner_text()
    page.check("input[name=kind][value=view]")
    page.fill("#id_purpose", "核对购车合同")
    until = timezone.localtime() + datetime.timedelta(days=2)
    page.fill("#id_until", until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/circulation/requests/\d+/$"))
    request = AccessRequest.objects.get()
    assert request.number in page.locator("h1").inner_text()
    assert "审批中" in page.locator("#request-status").inner_text()

    # Two approvers, each from their own queue in their own browser.
    approve_in_own_browser(browser, base, "carol", request.number)
    request.refresh_from_db()
    assert request.status == "pending"
    approve_in_own_browser(browser, base, "alice", request.number)
    request.refresh_from_db()
    assert request.status == "approved"

    # Gina sees the outcome and reads the dossier.
    page.reload()
    assert "已批准" in page.locator("#request-status").inner_text()
    page.locator("#grant").get_by_role("link", name="查看档案").click()
    page.wait_for_url(re.compile(rf"/dossiers/{dossier.pk}/$"))
    assert dossier.archive_number in page.locator("h1").first.inner_text()
    unexpected = [e for e in console.errors() if "404" not in e[1]]  # the first, deliberate 404
    assert unexpected == [], unexpected

    # The grant runs out: the dossier is gone again.
    Grant.objects.filter(pk=request.grant_id).update(
        starts_at=timezone.now() - datetime.timedelta(days=1),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    response = page.goto(dossier_url)
    assert response.status == 404
    assert dossier.archive_number not in page.content()
