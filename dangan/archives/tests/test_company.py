"""Files that belong to no customer (issue 23 §8): company files kept by a department."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, _user, audit_actions
from dangan.accounts import permissions as P
from dangan.accounts import policy
from dangan.accounts.models import Department
from dangan.archives import company, lifecycle, services
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError, Forbidden, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def minutes(templates: Any, carol: Any) -> Dossier:
    """A 销售一部 meeting-minutes file, opened by Carol (its department manager)."""
    return company.company_dossier_create(
        actor=carol,
        archive_type=templates["CO-DAILY"],
        department=carol.department,
        title="2026年销售一部经理会议纪要",
    )


def test_it_numbers_a_company_file_by_department_and_year(minutes: Dossier) -> None:
    assert minutes.customer is None
    assert minutes.archive_number.startswith(f"CO-DAILY-{minutes.department.code}-")
    assert minutes.status == "filed"
    assert audit_actions(object_type="dossier", object_id=str(minutes.pk)) == ["create"]


def test_it_keeps_company_types_out_of_customers_and_back(
    templates: Any, bob: Any, bobs_customer: Any, carol: Any
) -> None:
    with pytest.raises(ApplicationError) as exc:
        services.dossier_create(
            actor=bob, customer=bobs_customer, archive_type=templates["CO-DAILY"]
        )
    assert exc.value.field == "archive_type"
    with pytest.raises(ApplicationError):
        company.company_dossier_create(
            actor=carol, archive_type=templates["CAR-SALE"], department=carol.department
        )


def test_it_files_only_for_the_own_department_unless_scope_is_all(
    templates: Any, alice: Any, carol: Any, dave: Any
) -> None:
    with pytest.raises(ApplicationError) as exc:
        company.company_dossier_create(
            actor=carol, archive_type=templates["CO-DAILY"], department=dave.department
        )
    assert exc.value.field == "department"
    filed = company.company_dossier_create(
        actor=alice, archive_type=templates["CO-DAILY"], department=dave.department
    )
    assert filed.department == dave.department


# Who sees 销售一部's company file: by the role's scope (all / department / own) and its
# dossier.view, as for a customer's dossier — department and own read from the file's
# department and filer instead of a customer's.
def test_it_opens_a_company_file_by_role_and_scope(templates: Any, minutes: Dossier) -> None:
    from dangan.accounts.models import Role

    other = Department.objects.create(code="S9", name="销售九部")
    for code in P.ROLE_CODES:
        role = Role.objects.get(code=code)
        reaches_dossiers = (
            P.DOSSIER_VIEW in role.permissions and P.CUSTOMER_VIEW in role.permissions
        )
        for n, where in enumerate(("销售一部", other.name)):
            user = _user(f"u_{code}_{n}", code, where)
            client = Client()
            client.force_login(user)
            status = client.get(reverse("archives:dossier", kwargs={"pk": minutes.pk})).status_code
            api = client.get(reverse("api:dossier", kwargs={"pk": minutes.pk})).status_code
            expected = reaches_dossiers and (
                role.scope == "all" or (role.scope == "department" and where == "销售一部")
            )
            assert (status == 200) == expected, (code, where, status)
            assert (api == 200) == expected, (code, where, api)
            listed = policy.dossiers_for(user).filter(pk=minutes.pk).exists()
            assert listed == expected, (code, where)


def test_it_lets_an_account_manager_see_only_the_files_they_filed(
    templates: Any, bob: Any, minutes: Dossier
) -> None:
    own = company.company_dossier_create(
        actor=bob, archive_type=templates["CO-DAILY"], department=bob.department
    )
    assert set(policy.dossiers_for(bob).filter(customer__isnull=True)) == {own}
    with pytest.raises(NotFound):
        policy.access_dossier(bob, minutes.pk)


def test_it_runs_the_lifecycle_and_the_page_of_a_company_file(
    client: Client, alice: Any, carol: Any, minutes: Dossier
) -> None:
    moved = lifecycle.dossier_transition(
        actor=alice, dossier=minutes, to="legal_hold", reason="审计调阅冻结"
    )
    assert moved.status == "legal_hold"
    with pytest.raises(Forbidden):
        lifecycle.dossier_transition(actor=carol, dossier=moved, to="filed", reason="x")
    client.force_login(carol)
    page = client.get(reverse("archives:dossier", kwargs={"pk": minutes.pk})).content.decode()
    assert "公司档案" in page and "销售一部" in page and "2026年销售一部经理会议纪要" in page
    listing = client.get(reverse("archives:dossier_list")).content.decode()
    assert minutes.archive_number in listing


def test_it_creates_a_company_file_from_the_page_and_the_api(
    client: Client, templates: Any, carol: Any
) -> None:
    client.force_login(carol)
    url = reverse("archives:company_dossier_create")
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "archive_type": templates["CO-DAILY"].pk,
            "department": carol.department_id,
            "title": "10月销售周报",
            "volume_year": 2026,
            "confidentiality": "normal",
        },
    )
    assert answer.status_code == 302
    assert Dossier.objects.get(title="10月销售周报").department == carol.department
    answer = client.post(
        reverse("api:dossiers"),
        {"archive_type": "CO-DAILY", "title": "11月销售周报"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["customer"] is None
    assert answer.json()["department"] == carol.department.code


def test_it_refuses_the_page_without_the_create_permission(client: Client, db: Any) -> None:
    user = _user("finn", "finance", "财务部")
    client.force_login(user)
    assert client.get(reverse("archives:company_dossier_create")).status_code == 403
    assert PASSWORD


def test_the_search_finds_a_company_file_by_its_title_and_number(
    minutes: Dossier, carol: Any
) -> None:
    """A company file has no customer name: the dossier hit's score and subtitle took
    None for one and answered 500 (found by benchmarks/mixed_load.py, searching 2026)."""
    from dangan.search.services import rebuild_index

    rebuild_index()
    client = Client()
    client.force_login(carol)
    for q in ("会议纪要", minutes.archive_number, "2026"):
        answer = client.get("/api/v1/search/", {"q": q})
        assert answer.status_code == 200, q
        (dossiers,) = [g for g in answer.json()["groups"] if g["kind"] == "dossier"]
        assert minutes.pk in [hit["id"] for hit in dossiers["results"]], (q, dossiers)
        assert client.get("/search/", {"q": q}).status_code == 200, q


def test_the_api_names_an_unknown_department_instead_of_filing_under_the_callers(
    templates: Any, carol: Any
) -> None:
    """A mistyped department code was silently replaced by the caller's own department."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(carol)
    body = {"archive_type": "CO-DAILY", "department": "NOPE", "title": "会议纪要"}
    refused = api.post("/api/v1/dossiers/", body, format="json")
    assert refused.status_code == 400 and "department" in refused.json()
    assert not Dossier.objects.filter(customer__isnull=True).exists()
    filed = api.post("/api/v1/dossiers/", {**body, "department": ""}, format="json")
    assert filed.status_code == 201, filed.content
    assert Dossier.objects.get(pk=filed.json()["id"]).department == carol.department
