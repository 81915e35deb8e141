"""A paper file across departments, in real browsers (issue 27 "Done when"): Dave (销售二部)
finds that a dossier of 销售一部's customer exists by its archive number (number, type,
department — nothing personal), asks to borrow it; Carol (the owning department's
manager) and Alice (archivist) approve from their queues; Alice hands it out from the
hand-out queue without its originals, which stay in the room and are listed on the
loan; Dave brings it back and Alice takes it in.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_circulation import approve_in_own_browser
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("DANGAN_SCREENSHOTS", "")  # a folder to keep the screenshots in


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create
    from dangan.documents.models import Document
    from dangan.documents.services import document_add

    seed_roles()
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
        "dave": make("dave", "account_manager", "销售二部", "刘洋"),
    }
    customer = customer_create(
        actor=users["bob"],
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )
    sale = ArchiveType.objects.get(code="RE-SALE")
    dossier = dossier_create(
        actor=users["bob"],
        customer=customer,
        archive_type=sale,
        fields={
            "building": "3",
            "unit": "3-1203",
            "payment": "按揭",
            "contract_date": "2026-10-08",
        },
    )
    for code, carrier in (
        ("ID_COPY", Document.Carrier.PAPER_COPY),
        ("SALE_CONTRACT", Document.Carrier.PAPER_ORIGINAL),
    ):
        document_add(
            actor=users["alice"],
            dossier=dossier,
            checklist_item=sale.items.get(code=code),
            carrier=carrier,
        )
    return {**users, "dossier": dossier}


def shoot(page: Any, name: str) -> None:
    """The page at 1366 px and at 390 px wide, for a person to look at (when asked)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_colleague_finds_requests_borrows_and_returns_a_paper_file(
    page: Any, browser: Any, live_server: Any, world: dict[str, Any], console: ConsoleLog
) -> None:
    from dangan.archives.models import Dossier
    from dangan.circulation.models import AccessRequest, Loan

    base = live_server.url
    dossier = world["dossier"]

    # Dave searches by the archive number: the dossier is discoverable, not readable.
    login(page, base, "dave", PASSWORD)
    assert "/login/" not in page.url, page.content()
    page.goto(f"{base}/search/?q={dossier.archive_number}")
    group = page.locator('section[data-kind="discoverable"]')
    group.get_by_text(dossier.archive_number).wait_for()
    assert "销售一部" in group.inner_text() and "房地产销售档案" in group.inner_text()
    assert "张三" not in page.content()
    shoot(page, "1-discoverable")
    group.get_by_role("link", name="申请查阅").click()

    # He asks to borrow the paper file.
    page.wait_for_url(re.compile(r"/circulation/requests/new/"))
    assert "张三" not in page.content()
    page.check("input[name=kind][value=borrow]")
    page.fill("#id_purpose", "客户转介绍,核对购房合同")
    until = timezone.localtime() + datetime.timedelta(days=2)
    page.fill("#id_until", until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/circulation/requests/\d+/$"))
    request = AccessRequest.objects.get()
    assert "审批中" in page.locator("#request-status").inner_text()
    assert "张三" not in page.content()
    shoot(page, "2-request")

    # The owning side approves: the department's manager, then the archivist.
    approve_in_own_browser(browser, base, "carol", request.number)
    approve_in_own_browser(browser, base, "alice", request.number)
    request.refresh_from_db()
    assert request.status == "approved"

    # Alice hands it out from the queue, without the original contract.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(15_000)
    try:
        clerk = desk.new_page()
        login(clerk, base, "alice", PASSWORD)
        clerk.goto(f"{base}/circulation/loans/")
        row = clerk.locator("#handout tr", has_text=request.number)
        shoot(clerk, "3-handout-queue")
        row.get_by_role("link", name="借出").click()
        clerk.wait_for_url(re.compile(r"/circulation/loans/\?request="))
        assert clerk.locator("#id_without_originals").is_checked()
        clerk.locator("#lend").get_by_text("原件,留存档案室").wait_for()
        clerk.locator("#lend").get_by_role("button", name="借出").click()
        clerk.wait_for_url(re.compile(r"/circulation/loans/$"))
        loan = Loan.objects.get()
        assert loan.scope == "without_originals"
        dossier.refresh_from_db()
        assert dossier.status == Dossier.Status.ON_LOAN

        # The loan lists the originals kept in the room; Dave brings the file back.
        clerk.goto(f"{base}/circulation/loans/{loan.pk}/")
        kept = clerk.locator("#originals-kept")
        assert "商品房买卖合同" in kept.inner_text()
        shoot(clerk, "4-loan")
        clerk.locator("#return").get_by_role("button", name="归还").click()
        clerk.wait_for_url(re.compile(r"/circulation/loans/$"))
    finally:
        desk.close()

    loan.refresh_from_db()
    dossier.refresh_from_db()
    assert loan.returned_at is not None and loan.return_complete and not loan.returned_late
    assert dossier.status == Dossier.Status.FILED
    assert console.errors() == []
