"""HTML views for customers: list scope, create form errors, detail access, escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import PASSWORD, audit_actions, grant_in_force
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # conftest sets DANGAN_STATIC_PLAIN after pytest-django has imported the settings,
    # so pages would look for a collectstatic manifest that tests never build.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_requires_login_for_the_list(client: Client, bob: Any) -> None:
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_lists_only_own_customers(bob: Any, bobs_customer: Any, daves_customer: Any) -> None:
    html = login(bob).get("/customers/").content.decode()
    assert "张三" in html
    assert "北京远大贸易有限公司" not in html


def test_it_masks_identity_in_the_list(bob: Any, bobs_customer: Any) -> None:
    html = login(bob).get("/customers/").content.decode()
    assert "110105********002X" in html
    assert "11010519491231002X" not in html
    assert "13800138000" not in html


def test_it_lists_the_department_for_a_manager(
    carol: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    html = login(carol).get("/customers/").content.decode()
    assert "张三" in html
    assert "北京远大贸易有限公司" not in html


def test_it_lists_everything_for_the_archivist(
    alice: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    html = login(alice).get("/customers/").content.decode()
    assert "张三" in html
    assert "北京远大贸易有限公司" in html


def test_it_shows_only_names_to_business_staff(eve: Any, bobs_customer: Any) -> None:
    client = login(eve)
    for url in ("/customers/", f"/customers/{bobs_customer.pk}/"):
        html = client.get(url).content.decode()
        assert "张三" in html
        assert "002X" not in html
        assert "8000" not in html


def test_it_searches_from_the_list(alice: Any, bobs_customer: Any, daves_customer: Any) -> None:
    rebuild_index()  # the list's box reads the search index, written when a change commits
    html = login(alice).get("/customers/", {"q": "远大"}).content.decode()
    assert "北京远大贸易有限公司" in html
    assert "张三" not in html
    assert "search" in audit_actions()


def test_it_refuses_the_list_to_the_sysadmin(sam: Any) -> None:
    assert login(sam).get("/customers/").status_code == 403


def test_it_survives_junk_filters(bob: Any, bobs_customer: Any) -> None:
    response = login(bob).get("/customers/", {"owner": "x", "department": "y", "page": "zz"})
    assert response.status_code == 200


def test_it_creates_a_customer(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = login(bob).post(
        "/customers/new/",
        {
            "kind": "individual",
            "name": "李四",
            "id_type": "resident_id",
            "id_number": "110101199003074514",
            "mobile": "13912345678",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.owner == bob
    assert "create" in audit_actions(object_type="customer")


def test_it_shows_a_bad_id_in_place_and_stores_nothing(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = login(bob).post(
        "/customers/new/",
        {
            "kind": "individual",
            "name": "李四",
            "id_type": "resident_id",
            "id_number": "110105194912310021",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "校验" in html or "证件" in html
    assert response.context["form"].errors["id_number"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.context["form"].errors["id_number"][0])
    assert 'value="李四"' in html  # the form keeps what was typed
    assert not Customer.objects.exists()


def test_it_refuses_create_to_business_staff(eve: Any) -> None:
    from dangan.customers.models import Customer

    response = login(eve).post("/customers/new/", {"kind": "individual", "name": "某"})
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_it_refuses_an_overlong_name_in_the_form(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = login(bob).post("/customers/new/", {"kind": "individual", "name": "长" * 10000})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Customer.objects.exists()


def test_it_refuses_a_nul_in_the_form(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = login(bob).post("/customers/new/", {"kind": "individual", "name": "张\x00三"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Customer.objects.exists()


def test_it_shows_a_customer_and_records_the_view(bob: Any, bobs_customer: Any) -> None:
    response = login(bob).get(f"/customers/{bobs_customer.pk}/")
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    assert "view" in audit_actions(object_type="customer", object_id=str(bobs_customer.pk))


def test_the_new_dossier_form_labels_its_fields_alike(
    bob: Any, bobs_customer: Any, templates: Any
) -> None:
    html = login(bob).get(f"/customers/{bobs_customer.pk}/").content.decode()
    labels = re.findall(r'<label for="id_(\w+)">([^<]*)', html)
    assert ("archive_type", "档案类型 ") in labels  # required: the star follows, as for the others
    assert [text for _name, text in labels if text.rstrip().endswith((":", "："))] == []


def test_it_hides_another_departments_customer(dave: Any, bobs_customer: Any) -> None:
    response = login(dave).get(f"/customers/{bobs_customer.pk}/")
    assert response.status_code == 404
    assert "张三" not in response.content.decode()
    assert "view" not in audit_actions(object_type="customer", object_id=str(bobs_customer.pk))


def test_it_hides_the_edit_form_of_another_departments_customer(
    dave: Any, bobs_customer: Any
) -> None:
    client = login(dave)
    assert client.get(f"/customers/{bobs_customer.pk}/edit/").status_code == 404
    response = client.post(
        f"/customers/{bobs_customer.pk}/edit/", {"kind": "individual", "name": "X"}
    )
    assert response.status_code == 404
    bobs_customer.refresh_from_db()
    assert bobs_customer.name == "张三"


def test_it_edits_a_customer(bob: Any, bobs_customer: Any) -> None:
    from dangan.audit.models import AuditEntry

    client = login(bob)
    form = client.get(f"/customers/{bobs_customer.pk}/edit/")
    assert form.status_code == 200
    # The form shows the number masked; posting it back unchanged must not break it.
    html = form.content.decode()
    assert "11010519491231002X" not in html
    assert "13800138000" not in html
    response = client.post(
        f"/customers/{bobs_customer.pk}/edit/",
        {
            "name": "张三丰",
            "id_type": "resident_id",
            "id_number": "110105********002X",
            "mobile": "138****8000",
            "reason": "以身份证为准",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    bobs_customer.refresh_from_db()
    assert bobs_customer.name == "张三丰"
    assert bobs_customer.id_number == "11010519491231002X"
    assert bobs_customer.mobile == "13800138000"
    entry = AuditEntry.objects.get(action="change")
    assert entry.detail["after"]["name"] == "张三丰"


def test_it_lets_the_archivist_change_the_id_number(alice: Any, bobs_customer: Any) -> None:
    response = login(alice).post(
        f"/customers/{bobs_customer.pk}/edit/",
        {
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "110101199003074514",
            "reason": "证件号码登记错误",
        },
    )
    assert response.status_code == 302
    bobs_customer.refresh_from_db()
    assert bobs_customer.id_number == "110101199003074514"


def test_it_escapes_a_script_name(bob: Any) -> None:
    from dangan.customers.services import customer_create

    customer = customer_create(actor=bob, kind="individual", name="<script>alert(1)</script>")
    client = login(bob)
    for url in (f"/customers/{customer.pk}/", "/customers/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_refuses_a_post_without_csrf_token(bob: Any) -> None:
    from dangan.customers.models import Customer

    client = Client(enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    response = client.post("/customers/new/", {"kind": "individual", "name": "李四"})
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_it_unmasks_in_place_for_the_archivist_only(
    alice: Any, bob: Any, bobs_customer: Any
) -> None:
    page = login(alice).get(f"/customers/{bobs_customer.pk}/").content.decode()
    assert "110105********002X" in page and "显示完整号码" in page
    response = login(alice).post(f"/customers/{bobs_customer.pk}/unmask/", HTTP_HX_REQUEST="true")
    assert "11010519491231002X" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "显示完整号码" not in login(bob).get(f"/customers/{bobs_customer.pk}/").content.decode()
    assert login(bob).post(f"/customers/{bobs_customer.pk}/unmask/").status_code == 403


def test_it_adds_a_related_person_from_the_customer_page(bob: Any, bobs_customer: Any) -> None:
    client = login(bob)
    response = client.post(
        f"/customers/{bobs_customer.pk}/related/",
        {"relation": "agent", "name": "李四", "title": "", "mobile": "", "id_number": ""},
        follow=True,
    )
    assert "李四" in response.content.decode()
    person = bobs_customer.related_persons.get()
    client.post(f"/customers/{bobs_customer.pk}/related/{person.pk}/remove/")
    assert not bobs_customer.related_persons.exists()


def test_it_counts_only_the_dossiers_the_user_may_see(
    bob: Any, carol: Any, car_dossier: Any
) -> None:
    """The list's count column, and dossier_counts behind it (one query for the page)."""
    from dangan.customers.selectors import dossier_counts

    def counted(user: Any) -> tuple[int, str]:
        page = login(user).get("/customers/").content.decode()
        cell = re.search(r'<td class="num">(\d+)</td>', page)
        assert cell is not None
        pk = car_dossier.customer_id
        return dossier_counts(user, [pk]).get(pk, 0), cell[1]

    assert counted(carol) == (1, "1")
    car_dossier.confidentiality = "top_secret"
    car_dossier.save()
    assert counted(carol) == (0, "0")  # above the manager's clearance (机密)
    assert counted(bob) == (1, "1")  # never hidden from its owner (issue 27 §4)
    grant_in_force(carol, car_dossier)  # a grant opens it, and the count shows it
    assert counted(carol) == (1, "1")


def test_it_offers_business_staff_only_filters_on_what_they_see(
    eve: Any, bob: Any, bobs_customer: Any
) -> None:
    from dangan.customers.selectors import customer_list

    page = login(eve).get("/customers/").content.decode()
    assert 'name="tier"' not in page and 'name="owner"' not in page
    # The box says what it finds: for business staff, names only.
    assert 'placeholder="客户名称或拼音首字母"' in page
    full = login(bob).get("/customers/").content.decode()
    assert 'placeholder="姓名或拼音首字母、手机号、证件号后4至6位、档号"' in full
    assert customer_list(eve, filters={"tier": "key"}).count() == 1  # ignored, not applied


def test_the_list_reads_owners_and_departments_once_per_page(
    alice: Any, bob: Any, dave: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    """As many queries for a page of two customers as for one of four (owners and
    departments are read for the page, not per row); the API, which shows their ids
    only, reads no department."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from dangan.customers.services import customer_create

    client = login(alice)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as page:
            assert client.get("/customers/").status_code == 200
        return len(page.captured_queries)

    page_queries()  # the first request also fills the menu's cache
    two = page_queries()
    customer_create(actor=bob, kind="individual", name="李四")
    customer_create(actor=dave, kind="individual", name="王五")
    assert page_queries() == two
    api = APIClient()
    api.force_authenticate(alice)
    with CaptureQueriesContext(connection) as listed:
        assert len(api.get("/api/v1/customers/").json()["results"]) == 4
    assert not [q for q in listed.captured_queries if "accounts_department" in q["sql"]]


def test_it_says_no_dossier_only_to_whom_every_dossier_would_show(
    eve: Any, bob: Any, bobs_customer: Any, car_dossier: Any, daves_customer: Any
) -> None:
    """Business staff see no dossiers: the page must not claim the customer has none
    ("尚未建档"), nor tell them one exists — the same words whether or not it does. Only
    a role that would see every dossier of the customer is told there are none."""
    from conftest import _user
    from dangan.customers.services import customer_create

    for customer in (bobs_customer, customer_create(actor=bob, kind="individual", name="李四")):
        page = login(eve).get(f"/customers/{customer.pk}/").content.decode()
        assert "尚未建档" not in page and "没有您可查看的档案" in page
        assert car_dossier.archive_number not in page
    director = _user("dora", "director", "总经办", "吴芳")
    page = login(director).get(f"/customers/{daves_customer.pk}/").content.decode()
    assert "尚未建档" in page
