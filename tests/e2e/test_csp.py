"""The Content-Security-Policy holds: the main pages load in Chromium without one CSP
violation (no inline script, no inline handler), and the behaviour that used to be
inline script (customer kind, language switch) still works from dangan/static/dangan/app.js."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.conftest import ConsoleLog
from tests.e2e.test_journey import PASSWORD, login, seed_roles

pytestmark = pytest.mark.e2e


@pytest.fixture
def everyone(live_server: Any) -> Any:
    """A user who sees most pages (archivist and system administrator), and an auditor."""
    from conftest import car_fields
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create

    seed_roles()
    templates_load(actor=None)
    user, _password = user_create(
        actor=None,
        username="csp",
        roles=["archivist", "sysadmin"],
        password=PASSWORD,
        department="档案室",
    )
    user_create(actor=None, username="cspaudit", roles=["auditor"], password=PASSWORD)
    customer = customer_create(
        actor=user,
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )
    dossier = dossier_create(
        actor=user,
        customer=customer,
        archive_type=ArchiveType.objects.get(code="CAR-SALE"),
        fields=car_fields(),
    )
    return {"customer": customer, "dossier": dossier}


def _violations(console: ConsoleLog) -> list[tuple[str, str, str]]:
    return [e for e in console.entries if "Content Security Policy" in e[1] or e[0] == "error"]


def test_the_main_pages_load_without_a_csp_violation(
    page: Any, live_server: Any, everyone: Any, console: ConsoleLog
) -> None:
    base = live_server.url
    login(page, base, "csp", PASSWORD)
    assert "/login/" not in page.url
    customer, dossier = everyone["customer"], everyone["dossier"]
    pages = [
        reverse("home"),
        reverse("customers:list"),
        reverse("customers:create"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:edit", args=[customer.pk]),
        reverse("archives:dossier_list"),
        reverse("archives:dossier", args=[dossier.pk]),
        reverse("archives:dossier_create", args=[customer.pk]),
        reverse("archives:type_list"),
        reverse("search:results") + "?q=张三",
        reverse("manage:home"),
        reverse("circulation:notifications"),
        reverse("circulation:requests"),
        reverse("circulation:loans"),
        reverse("manage:users"),
        reverse("accounts:tokens"),
        reverse("handover:list"),
        reverse("importer:wizard"),
        reverse("intake:findings"),
        reverse("accounts:security"),
        reverse("api:docs"),
    ]
    for path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status < 400, path
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
        page.wait_for_load_state("load")
        assert _violations(console) == [], path
    # The API docs' own script (served apart, not inline) did run.
    page.goto(base + reverse("api:docs"))
    page.wait_for_selector(".swagger-ui", timeout=15_000)
    assert _violations(console) == []
    page.context.clear_cookies()
    login(page, base, "cspaudit", PASSWORD)
    response = page.goto(base + reverse("audit:list"))
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    assert _violations(console) == []


def test_the_customer_form_still_switches_fieldsets(
    page: Any, live_server: Any, everyone: Any, console: ConsoleLog
) -> None:
    base = live_server.url
    login(page, base, "csp", PASSWORD)
    page.goto(base + reverse("customers:create"))
    page.check("input[name=kind][value=individual]")
    assert page.locator("fieldset[data-kind=individual]").is_visible()
    assert not page.locator("fieldset[data-kind=organization]").is_visible()
    page.check("input[name=kind][value=organization]")
    assert page.locator("fieldset[data-kind=organization]").is_visible()
    # The language select sends its form by itself (it used an inline onchange).
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _violations(console) == []
