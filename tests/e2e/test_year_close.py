"""年度立卷 in a real browser (issue 23 §6): the archivist finds 年度立卷 on the dossier
list, previews the 2025 car sales, closes the year and sees the volumes and the catalogue
of those bound apart, and prints it; the pages fit a 390 px phone; an account manager
finds neither the link nor the page.

With DANGAN_SHOTS=<dir> the pages are also saved as PNGs at 1366 and 390 px wide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_changes import PHONE, WIDE, fits, shoot
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e


def test_an_archivist_closes_a_year(
    page: Any, live_server: Any, console: ConsoleLog, browser: Any
) -> None:
    from playwright.sync_api import expect

    from conftest import another_car
    from dangan.accounts.services import user_create
    from dangan.archives import lifecycle
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType, Dossier
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()
    templates_load(actor=None)
    people = {}
    for username, role, department, name in (
        ("alice", "archivist", "档案室", "李秀英"),
        ("bob", "account_manager", "销售一部", "王建国"),
    ):
        people[username] = user_create(
            actor=None,
            username=username,
            roles=[role],
            password=PASSWORD,
            department=department,
            full_name=name,
        )[0]
    alice, bob = people["alice"], people["bob"]
    customer = customer_create(actor=bob, kind="individual", name="张三", mobile="13800138000")
    car = ArchiveType.objects.get(code="CAR-SALE")
    cars = [
        dossier_create(
            actor=bob, customer=customer, archive_type=car, fields=another_car(n), volume_year=2025
        )
        for n in (1, 2)
    ]
    lifecycle.dossier_transition(
        actor=alice, dossier=cars[1], to="terminated", reason="合同解除", effective="2025-12-01"
    )

    base = live_server.url
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": WIDE, "height": 900})
    login(page, base, "alice", PASSWORD)
    page.goto(f"{base}/dossiers/")
    page.get_by_role("link", name="年度立卷").click()
    # A year not given: said in Chinese, on the field.
    page.select_option("#id_archive_type", str(car.pk))
    page.fill("#id_year", "")
    page.get_by_role("button", name="预览将立卷的档案").click()
    expect(page.locator("#year-form")).to_contain_text("请填写年度")
    page.fill("#id_year", "2025")
    page.get_by_role("button", name="预览将立卷的档案").click()
    plan = page.locator("#year-plan")
    expect(plan).to_contain_text(cars[0].archive_number)
    expect(plan).to_contain_text(cars[1].archive_number)
    shoot(page, "year-preview")
    page.locator("#year-close").click()
    expect(page.locator("#apart")).to_contain_text(cars[1].archive_number)
    expect(page.locator("#volumes")).to_contain_text(cars[0].archive_number)
    expect(page.locator("body")).to_contain_text("2025 年度已立卷")
    shoot(page, "year-closed")
    assert Dossier.objects.get(pk=cars[0].pk).volume_number == 1
    assert Dossier.objects.get(pk=cars[1].pk).bound_apart
    href = page.get_by_role("link", name="打印另行装订目录").get_attribute("href")
    printed = page.request.get(base + href)
    assert printed.ok and printed.body().startswith(b"%PDF")

    page.goto(f"{base}/dossiers/years/")
    expect(page.locator("#closed-years")).to_contain_text("汽车销售档案")
    page.set_viewport_size({"width": PHONE, "height": 844})
    fits(page, PHONE)
    page.goto(f"{base}/dossiers/years/?archive_type={car.pk}&year=2025")
    expect(page.locator("#year-plan")).to_contain_text("此后没有新增的档案")
    fits(page, PHONE)
    shoot(page, "year-again")  # leaves the page wide
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.go_back()
    page.get_by_role("link", name="2025 年度").first.click()
    fits(page, PHONE)

    # The account manager sees no link, and the page is refused.
    other = browser.new_context(locale="zh-CN", viewport={"width": WIDE, "height": 900})
    other.set_default_timeout(120_000)
    bobs = other.new_page()
    login(bobs, base, "bob", PASSWORD)
    bobs.goto(f"{base}/dossiers/")
    expect(bobs.get_by_role("link", name="年度立卷")).to_have_count(0)
    refused = bobs.goto(f"{base}/dossiers/years/")
    assert refused is not None and refused.status == 403
    shoot(bobs, "year-refused")
    other.close()
    assert console.errors() == []
