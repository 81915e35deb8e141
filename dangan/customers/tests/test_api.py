"""REST API: customers (SPEC §4), auth, /me, audit, schema and bad input."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import audit_actions, car_fields
from dangan.core.errors import NotFound
from dangan.core.identifiers import make_vin
from dangan.customers.services import customer_update
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db

GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"
GOOD_USCC = "91350100M000100Y43"
BAD_USCC = "91350100M000100Y44"


def api(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def individual(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "individual",
        "name": "李四",
        "id_number": "110101199003074514",
        "mobile": "13912345678",
    }
    data.update(overrides)
    return data


# --- create ------------------------------------------------------------------------


def test_it_creates_an_individual(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = api(bob).post("/api/v1/customers/", individual(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.name == "李四"
    assert customer.owner == bob
    assert body["owner"] == bob.pk
    assert body["department"] == bob.department_id
    assert body["kind"] == "individual"
    assert "create" in audit_actions(object_type="customer", object_id=str(customer.pk))


def test_it_creates_an_organization(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/",
        {"kind": "organization", "name": "上海某某有限公司", "uscc": GOOD_USCC},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["uscc"] == GOOD_USCC


def test_it_names_a_bad_id_check_digit(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = api(bob).post("/api/v1/customers/", individual(id_number=BAD_ID), format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["id_number"]
    assert has_chinese(body["id_number"][0])
    assert not Customer.objects.exists()


def test_it_names_a_bad_mobile(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", individual(mobile="12345"), format="json")
    assert response.status_code == 400
    assert has_chinese(response.json()["mobile"][0])


def test_it_names_a_bad_uscc_without_reason(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/",
        {"kind": "organization", "name": "某公司", "uscc": BAD_USCC},
        format="json",
    )
    assert response.status_code == 400
    assert has_chinese(response.json()["uscc"][0])


def test_it_accepts_a_bad_uscc_with_override_reason(bob: Any) -> None:
    from dangan.customers.models import Customer

    response = api(bob).post(
        "/api/v1/customers/",
        {
            "kind": "organization",
            "name": "某公司",
            "uscc": BAD_USCC,
            "uscc_override_reason": "营业执照原件核对无误",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.uscc_override_reason == "营业执照原件核对无误"


def test_it_names_the_existing_customer_on_duplicate_id(bob: Any, bobs_customer: Any) -> None:
    response = api(bob).post("/api/v1/customers/", individual(id_number=GOOD_ID), format="json")
    assert response.status_code == 400
    message = response.json()["id_number"][0]
    assert "张三" in message
    assert str(bobs_customer.pk) in message


def test_it_hides_the_existing_customer_from_other_departments(
    dave: Any, bobs_customer: Any
) -> None:
    response = api(dave).post("/api/v1/customers/", individual(id_number=GOOD_ID), format="json")
    assert response.status_code == 400
    message = response.json()["id_number"][0]
    assert "张三" not in message
    assert has_chinese(message)


def test_it_names_a_missing_kind(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", {"name": "王五"}, format="json")
    assert response.status_code == 400
    assert has_chinese(response.json()["kind"][0])


def test_it_refuses_an_owner_from_another_department(bob: Any, dave: Any) -> None:
    from dangan.customers.models import Customer

    response = api(bob).post("/api/v1/customers/", individual(owner=dave.pk), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Customer.objects.exists()


def test_it_refuses_create_without_permission(sam: Any) -> None:
    response = api(sam).post("/api/v1/customers/", individual(), format="json")
    assert response.status_code == 403


# --- list and search ----------------------------------------------------------------


@pytest.fixture
def bobs_second(bob: Any) -> Any:
    from dangan.customers.services import customer_create

    return customer_create(
        actor=bob,
        kind="individual",
        name="欧阳娜娜",
        id_number="110101199003074514",
        mobile="13698765432",
    )


def names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_it_searches_by_name(bob: Any, bobs_customer: Any, bobs_second: Any) -> None:
    rebuild_index()  # names and phone digits come from the search index (see below)
    assert names(api(bob).get("/api/v1/customers/", {"q": "欧阳"})) == {"欧阳娜娜"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "阳娜"})) == {"欧阳娜娜"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "oynn"})) == {"欧阳娜娜"}  # pinyin
    assert names(api(bob).get("/api/v1/customers/", {"q": "%"})) == set()
    assert names(api(bob).get("/api/v1/customers/", {"q": "138"})) == set()  # < 4 digits
    assert "search" in audit_actions()


@pytest.mark.django_db(transaction=True)
def test_the_list_finds_a_customer_as_soon_as_it_is_committed(bob: Any, templates: Any) -> None:
    """The list's box reads the search index, which each change writes on commit: no
    rebuild needed. A customer with two dossiers is listed once."""
    from dangan.archives.services import dossier_create
    from dangan.customers.services import customer_create, related_person_add

    customer = customer_create(actor=bob, kind="individual", name="司马相如", mobile="13912345678")
    assert names(api(bob).get("/api/v1/customers/", {"q": "相如"})) == {"司马相如"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "2345"})) == {"司马相如"}
    related_person_add(actor=bob, customer=customer, relation="agent", name="卓文君")
    assert names(api(bob).get("/api/v1/customers/", {"q": "卓文君"})) == {"司马相如"}
    rng = random.Random(7)  # noqa: S311 - test data
    first, _second = (
        dossier_create(
            actor=bob,
            customer=customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(vin=make_vin(rng)),
        )
        for _ in range(2)
    )
    listed = api(bob).get("/api/v1/customers/", {"q": first.archive_number}).json()
    assert [row["name"] for row in listed["results"]] == ["司马相如"] and listed["count"] == 1


def test_it_searches_by_id_last_four(bob: Any, bobs_customer: Any, bobs_second: Any) -> None:
    assert names(api(bob).get("/api/v1/customers/", {"q": "002X"})) == {"张三"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "002x"})) == {"张三"}


def test_it_searches_by_id_last_five_and_six(
    bob: Any, bobs_customer: Any, bobs_second: Any
) -> None:
    assert names(api(bob).get("/api/v1/customers/", {"q": "1002x"})) == {"张三"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "31002X"})) == {"张三"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "74514"})) == {"欧阳娜娜"}
    assert names(api(bob).get("/api/v1/customers/", {"q": "01002X"})) == set()


def test_it_searches_by_mobile_digits(bob: Any, bobs_customer: Any, bobs_second: Any) -> None:
    rebuild_index()
    assert names(api(bob).get("/api/v1/customers/", {"q": "98765"})) == {"欧阳娜娜"}


def test_it_lists_only_own_customers(bob: Any, bobs_customer: Any, daves_customer: Any) -> None:
    assert names(api(bob).get("/api/v1/customers/")) == {"张三"}


def test_it_lists_the_department_for_a_manager(
    carol: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    assert names(api(carol).get("/api/v1/customers/")) == {"张三"}


def test_it_lists_everything_for_the_archivist(
    alice: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    assert names(api(alice).get("/api/v1/customers/")) == {"张三", "北京远大贸易有限公司"}


def test_it_lists_nothing_for_the_sysadmin(sam: Any, bobs_customer: Any) -> None:
    assert api(sam).get("/api/v1/customers/").status_code == 403


def test_it_names_a_non_numeric_owner_filter(bob: Any, bobs_customer: Any) -> None:
    response = api(bob).get("/api/v1/customers/", {"owner": "x"})
    assert response.status_code == 400
    assert "owner" in response.json()


def test_it_ignores_a_junk_limit(bob: Any, bobs_customer: Any) -> None:
    assert names(api(bob).get("/api/v1/customers/", {"limit": "abc"})) == {"张三"}


# --- detail, masking, change ---------------------------------------------------------


def test_it_masks_identity_for_account_managers(bob: Any, bobs_customer: Any) -> None:
    body = api(bob).get(f"/api/v1/customers/{bobs_customer.pk}/").json()
    assert body["id_number"] == "110105********002X"
    assert body["mobile"] != "13800138000"
    assert "0013" not in body["mobile"][3:7]


def test_it_masks_other_phones(bob: Any, alice: Any, bobs_customer: Any) -> None:
    api(alice).patch(
        f"/api/v1/customers/{bobs_customer.pk}/", {"phone": "13712345678"}, format="json"
    )
    assert api(bob).get(f"/api/v1/customers/{bobs_customer.pk}/").json()["phone"] == "137****5678"
    grant_identity(alice)
    body = api(alice).get(f"/api/v1/customers/{bobs_customer.pk}/").json()
    assert body["phone"] == "13712345678"


def test_it_masks_identity_in_lists(bob: Any, bobs_customer: Any) -> None:
    row = api(bob).get("/api/v1/customers/").json()["results"][0]
    assert row["id_number"] == "110105********002X"


def grant_identity(user: Any) -> None:
    """Roles are data: give the user's role the unmasked view (rare by default)."""
    for role in user.roles.all():
        role.permissions = sorted({*role.permissions, "customer.view_identity"})
        role.save()
    user.__dict__.pop("_policy_roles", None)  # the policy caches roles on the instance


def test_it_shows_identity_to_a_role_with_view_identity(alice: Any, bobs_customer: Any) -> None:
    grant_identity(alice)
    body = api(alice).get(f"/api/v1/customers/{bobs_customer.pk}/").json()
    assert body["id_number"] == GOOD_ID
    assert body["mobile"] == "13800138000"


def test_it_limits_fields_for_business_staff(eve: Any, bobs_customer: Any) -> None:
    body = api(eve).get(f"/api/v1/customers/{bobs_customer.pk}/").json()
    assert body["name"] == "张三"
    assert "id_number" not in body
    assert "mobile" not in body
    assert "address" not in body
    [row] = api(eve).get("/api/v1/customers/").json()["results"]
    assert set(row) <= {"id", "kind", "name", "related_persons"}


def test_it_records_a_view(bob: Any, bobs_customer: Any) -> None:
    api(bob).get(f"/api/v1/customers/{bobs_customer.pk}/")
    assert "view" in audit_actions(object_type="customer", object_id=str(bobs_customer.pk))


def test_it_hides_another_departments_customer(dave: Any, bobs_customer: Any) -> None:
    response = api(dave).get(f"/api/v1/customers/{bobs_customer.pk}/")
    assert response.status_code == 404
    assert "view" not in audit_actions(object_type="customer", object_id=str(bobs_customer.pk))


def test_it_answers_missing_and_hidden_alike(dave: Any, bobs_customer: Any) -> None:
    hidden = api(dave).get(f"/api/v1/customers/{bobs_customer.pk}/")
    missing = api(dave).get("/api/v1/customers/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_it_refuses_to_patch_another_departments_customer(dave: Any, bobs_customer: Any) -> None:
    response = api(dave).patch(
        f"/api/v1/customers/{bobs_customer.pk}/", {"name": "改名"}, format="json"
    )
    assert response.status_code == 404
    bobs_customer.refresh_from_db()
    assert bobs_customer.name == "张三"
    assert "change" not in audit_actions(object_type="customer")


def test_it_patches_and_audits(bob: Any, bobs_customer: Any) -> None:
    from dangan.audit.models import AuditEntry

    response = api(bob).patch(
        f"/api/v1/customers/{bobs_customer.pk}/",
        {"name": "张三丰", "address": "北京市朝阳区", "reason": "更名"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "张三丰"
    entry = AuditEntry.objects.get(action="change", object_id=str(bobs_customer.pk))
    assert entry.detail["before"]["name"] == "张三"
    assert entry.detail["after"]["name"] == "张三丰"
    assert entry.detail["after"]["address"] == "北京市朝阳区"


def test_it_refuses_owner_tampering(bob: Any, dave: Any, bobs_customer: Any) -> None:
    response = api(bob).patch(
        f"/api/v1/customers/{bobs_customer.pk}/", {"owner": dave.pk}, format="json"
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    bobs_customer.refresh_from_db()
    assert bobs_customer.owner == bob


def test_it_refuses_a_bad_mobile_on_patch(bob: Any, bobs_customer: Any) -> None:
    response = api(bob).patch(
        f"/api/v1/customers/{bobs_customer.pk}/", {"mobile": "abc"}, format="json"
    )
    assert response.status_code == 400
    assert "mobile" in response.json()


def test_it_does_not_touch_the_id_when_patching_with_masked_value(
    bob: Any, bobs_customer: Any
) -> None:
    """A client that echoes the masked number back must not overwrite the real one."""
    response = api(bob).patch(
        f"/api/v1/customers/{bobs_customer.pk}/",
        {"id_number": "110105********002X"},
        format="json",
    )
    assert response.status_code == 400
    bobs_customer.refresh_from_db()
    assert bobs_customer.id_number == GOOD_ID


# --- bad input ---------------------------------------------------------------------


def test_it_refuses_an_overlong_name(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", individual(name="长" * 10000), format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_it_refuses_a_nul_in_the_name(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", individual(name="张\x00三"), format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_it_refuses_a_non_utf8_json_body(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/", data=b'{"name": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert has_chinese(json.dumps(response.json(), ensure_ascii=False))


def test_it_refuses_malformed_json(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/", data=b'{"name": ', content_type="application/json"
    )
    assert response.status_code == 400


def test_it_refuses_a_json_list_body(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", [1, 2], format="json")
    assert response.status_code == 400


def test_it_refuses_wrong_types(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/",
        individual(name={"x": 1}, owner="abc", birth_date="yesterday"),
        format="json",
    )
    assert response.status_code == 400


def test_it_stores_script_names_verbatim(bob: Any) -> None:
    response = api(bob).post(
        "/api/v1/customers/", individual(name="<script>alert(1)</script>"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?owner=1000000000000000000000000000000",
        "/api/v1/customers/?department=%C2%B2",
        "/api/v1/dossiers/?customer=1000000000000000000000000000000",
        "/api/v1/dossiers/?customer=%C2%B2",
        "/api/v1/documents/?dossier=1000000000000000000000000000000",
        "/api/v1/customers/1000000000000000000000000000000/",
        "/api/v1/archive-types/%00/",
    ],
)
def test_it_answers_bad_numbers_without_a_server_error(
    alice: Any, templates: Any, url: str
) -> None:
    response = api(alice).get(url)
    assert response.status_code in (400, 404)


def test_it_refuses_a_nul_in_filters(alice: Any, ada: Any) -> None:
    assert api(alice).get("/api/v1/customers/", {"q": "张\x00"}).status_code == 400
    assert api(alice).get("/api/v1/dossiers/", {"status": "\x00"}).status_code == 400
    assert api(ada).get("/api/v1/audit/", {"object_id": "\x00"}).status_code == 400


def test_it_refuses_an_out_of_range_owner(bob: Any) -> None:
    response = api(bob).post("/api/v1/customers/", individual(owner=10**30), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()


def test_it_does_not_let_business_staff_search_hidden_fields(eve: Any, bobs_customer: Any) -> None:
    response = api(eve).get("/api/v1/customers/", {"q": "13800138000"})
    assert response.json()["count"] == 0


def test_it_unmasks_on_purpose_and_records_it(alice: Any, bob: Any, bobs_customer: Any) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/unmask/"
    assert api(alice).get(f"/api/v1/customers/{bobs_customer.pk}/").json()["id_number"] == (
        "110105********002X"
    )
    response = api(alice).post(url)
    assert response.status_code == 200
    assert response.json()["id_number"] == "11010519491231002X"
    assert api(bob).post(url).status_code == 403
    from conftest import audit_actions

    assert audit_actions(action="unmask") == ["unmask"]


def test_it_adds_and_removes_related_persons(bob: Any, dave: Any, bobs_customer: Any) -> None:
    url = f"/api/v1/customers/{bobs_customer.pk}/related-persons/"
    response = api(bob).post(
        url, {"relation": "co_owner", "name": "李四", "mobile": "13900139000"}, format="json"
    )
    assert response.status_code == 201
    persons = response.json()["related_persons"]
    assert persons[0]["name"] == "李四" and persons[0]["mobile"] == "139****9000"
    assert api(bob).post(url, {"relation": "friend", "name": "x"}, format="json").status_code == 400
    assert api(dave).post(url, {"relation": "agent", "name": "x"}, format="json").status_code == 404
    assert api(bob).delete(f"{url}{persons[0]['id']}/").status_code == 204
    assert not bobs_customer.related_persons.exists()


def test_the_list_reads_related_persons_once_per_page(
    bob: Any, django_assert_max_num_queries: Any
) -> None:
    """A page of customers costs the same few queries whatever its length (the related
    persons of the page in one query, not one per customer)."""
    from dangan.customers.models import RelatedPerson
    from dangan.customers.services import customer_create

    for n in range(6):
        customer = customer_create(actor=bob, kind="individual", name=f"客户{n}")
        RelatedPerson.objects.create(customer=customer, relation="emergency", name=f"家属{n}")
    client = api(bob)
    client.get("/api/v1/customers/", {"limit": 1})  # session, roles: warm
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/customers/", {"limit": 6})
    rows = response.json()["results"]
    assert len(rows) == 6 and all(len(row["related_persons"]) == 1 for row in rows)


def test_it_names_unknown_fields_and_the_kind_in_a_patch(bob: Any, bobs_customer: Any) -> None:
    client = APIClient()
    client.force_authenticate(bob)
    response = client.patch(
        f"/api/v1/customers/{bobs_customer.pk}/",
        {"address": "北京", "kind": "organization", "colour": "红"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "colour"}
    bobs_customer.refresh_from_db()
    assert (bobs_customer.kind, bobs_customer.address) == ("individual", "")


def test_it_refuses_a_customer_update_outside_the_actors_scope(
    dave: Any, bobs_customer: Any
) -> None:
    with pytest.raises(NotFound):
        customer_update(actor=dave, customer=bobs_customer, changes={"address": "北京"})
    bobs_customer.refresh_from_db()
    assert bobs_customer.address == ""
