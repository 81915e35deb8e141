"""At 390 px (a phone) no page is wider than the screen: the header folds into a menu,
tables scroll inside their card, the dossier's checklist wraps. Checked in Chromium on the
demo data for an archivist, an account manager and business staff."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_journey import login, seed_roles

pytestmark = pytest.mark.e2e

WIDTH = 390


@pytest.fixture
def world(live_server: Any, settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from dangan.archives.loader import templates_load
    from dangan.archives.models import Dossier
    from dangan.customers.models import Customer
    from dangan.demo import demo_load
    from dangan.handover.models import Handover
    from dangan.handover.services import handover_create

    seed_roles()
    templates_load(actor=None)
    demo_load(per_type=2)
    from dangan.accounts.models import User

    clerk, sales1 = User.objects.get(username="clerk"), User.objects.get(username="sales1")
    customer = Customer.objects.filter(owner=sales1).order_by("id").first()
    dossier = Dossier.objects.filter(customer=customer).first()
    assert customer is not None and dossier is not None
    handover_create(actor=sales1, dossier_ids=[dossier.pk], to_department=clerk.department)
    handover = Handover.objects.get()
    return {"customer": customer.pk, "dossier": dossier.pk, "handover": handover.pk}


def test_no_page_is_wider_than_a_phone(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    from dangan.demo import DEMO_PASSWORD

    paths = [
        "/",
        "/customers/",
        f"/customers/{world['customer']}/",
        f"/dossiers/{world['dossier']}/",
        "/dossiers/",
        "/search/?q=王",
        "/circulation/loans/",
        "/circulation/requests/",
        "/handover/",
        f"/handover/{world['handover']}/",
        "/no-such-page/",
    ]
    seen: dict[str, int] = {}
    for username in ("clerk", "sales1", "staff"):
        context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": 844})
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            login(page, live_server.url, username, DEMO_PASSWORD)
            assert "/login/" not in page.url
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response is not None
                if response.status == 200:
                    seen[path] = seen.get(path, 0) + 1
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= WIDTH, f"{path} as {username}: {width} px wide"
            # The folded menu opens (static/dangan/app.js) and shows the links.
            page.goto(live_server.url + "/customers/")
            links = page.locator("#main-nav")
            assert not links.is_visible()
            page.locator(".menu-toggle").click()
            assert links.is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        finally:
            context.close()
    # Every page was seen for real by someone (not only as a refusal).
    assert [p for p in paths[:-1] if not seen.get(p)] == []
