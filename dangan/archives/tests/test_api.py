"""REST API: archive types, dossiers and their checklists (SPEC §4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from conftest import another_car, audit_actions, car_fields
from dangan.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CODES = {
    "RE-SALE",
    "PROPERTY",
    "CAR-SALE",
    "CAR-SERVICE",
    "HOTEL-GUEST",
    "MEMBER",
    "ENT-CREDIT",
    "CO-DAILY",
}


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- archive types --------------------------------------------------------------------


def test_it_lists_the_seven_archive_types(bob: Any, templates: Any) -> None:
    response = api(bob).get("/api/v1/archive-types/")
    assert response.status_code == 200
    body = response.json()
    assert {t["code"] for t in body} == CODES
    for archive_type in body:
        assert archive_type["name"]
        assert isinstance(archive_type["checklist"], list)
        assert archive_type["checklist"], archive_type["code"]


def test_it_shows_archive_types_to_the_sysadmin(sam: Any, templates: Any) -> None:
    response = api(sam).get("/api/v1/archive-types/")
    assert response.status_code == 200
    assert len(response.json()) == 8


def test_it_hides_archive_types_from_the_auditor(ada: Any, templates: Any) -> None:
    assert api(ada).get("/api/v1/archive-types/").status_code == 403
    assert api(ada).get("/api/v1/archive-types/CAR-SALE/").status_code == 403


def test_it_shows_one_archive_type_by_code_or_id(bob: Any, templates: Any) -> None:
    by_code = api(bob).get("/api/v1/archive-types/CAR-SALE/")
    assert by_code.status_code == 200
    assert by_code.json()["code"] == "CAR-SALE"
    pk = templates["CAR-SALE"].pk
    assert api(bob).get(f"/api/v1/archive-types/{pk}/").json()["code"] == "CAR-SALE"
    assert api(bob).get("/api/v1/archive-types/NOPE/").status_code == 404


# --- dossier create ----------------------------------------------------------------


def post_dossier(user: Any, customer: Any, **overrides: Any) -> Any:
    data = {"customer": customer.pk, "archive_type": "CAR-SALE", "fields": car_fields()}
    data.update(overrides)
    return api(user).post("/api/v1/dossiers/", data, format="json")


def test_it_creates_a_dossier(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"]
    assert body["archive_number"]
    assert body["archive_type"] == "CAR-SALE"
    assert body["fields"]["vin"] == "1M8GDM9AXKP042788"
    assert "create" in audit_actions(object_type="dossier", object_id=str(body["id"]))


def test_it_allocates_distinct_numbers(bob: Any, bobs_customer: Any, templates: Any) -> None:
    first = post_dossier(bob, bobs_customer).json()["archive_number"]
    second = post_dossier(bob, bobs_customer, fields=another_car(1)).json()["archive_number"]
    assert first != second


def test_it_names_an_invalid_vin(bob: Any, bobs_customer: Any, templates: Any) -> None:
    from dangan.archives.models import Dossier

    response = post_dossier(bob, bobs_customer, fields=car_fields(vin="1M8GDM9AXKP042789"))
    assert response.status_code == 400
    body = response.json()
    assert "fields.vin" in body
    assert has_chinese(body["fields.vin"][0])
    assert not Dossier.objects.exists()


def test_it_names_every_bad_custom_field(bob: Any, bobs_customer: Any, templates: Any) -> None:
    fields = car_fields(vin="x", purchase_date="soon")
    del fields["model"]
    response = post_dossier(bob, bobs_customer, fields=fields)
    assert response.status_code == 400
    assert {"fields.vin", "fields.purchase_date", "fields.model"} <= set(response.json())


def test_it_names_an_unknown_custom_field(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer, fields=car_fields(colour="red"))
    assert response.status_code == 400
    assert "fields.colour" in response.json()


def test_it_names_an_unknown_archive_type(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer, archive_type="NO-SUCH")
    assert response.status_code == 400
    assert has_chinese(response.json()["archive_type"][0])


def test_it_treats_a_hidden_customer_like_a_missing_one(
    dave: Any, bobs_customer: Any, templates: Any
) -> None:
    from dangan.archives.models import Dossier

    hidden = post_dossier(dave, bobs_customer)
    assert hidden.status_code == 400
    missing = api(dave).post(
        "/api/v1/dossiers/",
        {"customer": 999999, "archive_type": "CAR-SALE", "fields": car_fields()},
        format="json",
    )
    assert missing.status_code == 400
    assert hidden.json() == missing.json()
    assert "customer" in hidden.json()
    assert not Dossier.objects.exists()


def test_it_refuses_a_non_dict_fields(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer, fields=["vin"])
    assert response.status_code == 400
    assert "fields" in response.json()


def test_it_refuses_a_bad_year(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer, volume_year=99999999999)
    assert response.status_code == 400


def test_it_refuses_dossier_create_without_permission(
    eve: Any, bobs_customer: Any, templates: Any
) -> None:
    response = post_dossier(eve, bobs_customer)
    assert response.status_code in (400, 403)


# --- dossier read and change -----------------------------------------------------------


def test_it_lists_only_dossiers_in_scope(bob: Any, dave: Any, alice: Any, car_dossier: Any) -> None:
    assert api(bob).get("/api/v1/dossiers/").json()["count"] == 1
    assert api(dave).get("/api/v1/dossiers/").json()["count"] == 0
    assert api(alice).get("/api/v1/dossiers/").json()["count"] == 1


def test_it_hides_another_departments_dossier(dave: Any, car_dossier: Any) -> None:
    for url in (
        f"/api/v1/dossiers/{car_dossier.pk}/",
        f"/api/v1/dossiers/{car_dossier.pk}/checklist/",
    ):
        assert api(dave).get(url).status_code == 404
    assert "view" not in audit_actions(object_type="dossier")


def test_it_shows_a_dossier_and_records_the_view(bob: Any, car_dossier: Any) -> None:
    response = api(bob).get(f"/api/v1/dossiers/{car_dossier.pk}/")
    assert response.status_code == 200
    assert response.json()["archive_number"] == car_dossier.archive_number
    assert "view" in audit_actions(object_type="dossier", object_id=str(car_dossier.pk))


def test_it_never_changes_the_archive_number(alice: Any, car_dossier: Any) -> None:
    number = car_dossier.archive_number
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"archive_number": "X-1"}, format="json"
    )
    assert response.status_code == 400
    assert "archive_number" in response.json()
    car_dossier.refresh_from_db()
    assert car_dossier.archive_number == number


def test_it_updates_the_location(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"location": {"room": "一号库房", "cabinet": "A3"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["location"]["room"] == "一号库房"
    car_dossier.refresh_from_db()
    assert car_dossier.location_room == "一号库房"
    assert car_dossier.location_cabinet == "A3"
    assert "locate" in audit_actions(object_type="dossier")


def test_it_keeps_other_location_parts_on_patch(alice: Any, car_dossier: Any) -> None:
    api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"location": {"room": "一号库房"}}, format="json"
    )
    api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"location": {"box": "12"}}, format="json"
    )
    car_dossier.refresh_from_db()
    assert (car_dossier.location_room, car_dossier.location_box) == ("一号库房", "12")


def test_it_refuses_location_without_permission(bob: Any, car_dossier: Any) -> None:
    response = api(bob).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"location": {"room": "X"}}, format="json"
    )
    assert response.status_code == 403
    car_dossier.refresh_from_db()
    assert car_dossier.location_room == ""


def test_it_refuses_to_patch_another_departments_dossier(dave: Any, car_dossier: Any) -> None:
    response = api(dave).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"title": "改"}, format="json"
    )
    assert response.status_code == 404
    car_dossier.refresh_from_db()
    assert car_dossier.title != "改"


def test_it_changes_the_title_with_an_audit_entry(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"title": "新题名", "reason": "统一题名"},
        format="json",
    )
    assert response.status_code == 200
    assert "change" in audit_actions(object_type="dossier", object_id=str(car_dossier.pk))


def test_it_refuses_an_invalid_vin_on_patch(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"fields": {"vin": "BAD"}}, format="json"
    )
    assert response.status_code == 400
    assert "fields.vin" in response.json()


# --- checklist -----------------------------------------------------------------------


def rows(user: Any, dossier: Any) -> dict[str, dict[str, Any]]:
    response = api(user).get(f"/api/v1/dossiers/{dossier.pk}/checklist/")
    assert response.status_code == 200
    return {row["code"]: row for row in response.json()}


def test_it_shows_the_checklist_empty(bob: Any, car_dossier: Any) -> None:
    checklist = rows(bob, car_dossier)
    assert "INFO_CARD" in checklist
    assert all(row["present"] is False for row in checklist.values())


def test_it_marks_an_item_present_after_upload(
    bob: Any, car_dossier: Any, pdf_bytes: bytes
) -> None:
    response = api(bob).post(
        "/api/v1/documents/",
        {
            "dossier": car_dossier.pk,
            "document_type": "INFO_CARD",
            "title": "客户信息卡",
            "file": SimpleUploadedFile("info.pdf", pdf_bytes, "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    checklist = rows(bob, car_dossier)
    assert checklist["INFO_CARD"]["present"] is True
    assert checklist["INFO_CARD"]["documents"] == [response.json()["id"]]
    assert checklist["OUT_SLIP"]["present"] is False


def test_it_applies_conditions(bob: Any, templates: Any, bobs_customer: Any) -> None:
    plated = (
        api(bob)
        .post(
            "/api/v1/dossiers/",
            {
                "customer": bobs_customer.pk,
                "archive_type": "CAR-SALE",
                "fields": car_fields(plated_by_dealer=True),
            },
            format="json",
        )
        .json()
    )
    unplated = (
        api(bob)
        .post(
            "/api/v1/dossiers/",
            {
                "customer": bobs_customer.pk,
                "archive_type": "CAR-SALE",
                "fields": another_car(1, plated_by_dealer=False),
            },
            format="json",
        )
        .json()
    )

    class Ref:
        def __init__(self, pk: int) -> None:
            self.pk = pk

    yes = rows(bob, Ref(plated["id"]))
    no = rows(bob, Ref(unplated["id"]))
    assert yes["LICENSE_COPY"]["applicable"] is True
    assert yes["LICENSE_COPY"]["required"] is True
    assert no["LICENSE_COPY"]["applicable"] is False
    assert no["LICENSE_COPY"]["required"] is False
    # The customer is an individual: ID copy applies, organisation code does not.
    assert yes["ID_COPY"]["applicable"] is True
    assert yes["ORG_CODE_COPY"]["applicable"] is False


def test_it_accepts_string_booleans_for_conditions(
    bob: Any, templates: Any, bobs_customer: Any
) -> None:
    """Clients posting form-style "false" still get the condition evaluated on a bool."""
    body = (
        api(bob)
        .post(
            "/api/v1/dossiers/",
            {
                "customer": bobs_customer.pk,
                "archive_type": "CAR-SALE",
                "fields": car_fields(plated_by_dealer="false"),
            },
            format="json",
        )
        .json()
    )
    assert body["fields"]["plated_by_dealer"] is False


def test_it_refuses_a_nul_in_custom_fields(bob: Any, bobs_customer: Any, templates: Any) -> None:
    from dangan.archives.models import Dossier

    response = post_dossier(bob, bobs_customer, fields=car_fields(model="明锐\x00"))
    assert response.status_code == 400
    assert "fields.model" in response.json()
    assert not Dossier.objects.exists()


def test_it_refuses_an_overlong_custom_field(bob: Any, bobs_customer: Any, templates: Any) -> None:
    response = post_dossier(bob, bobs_customer, fields=car_fields(model="长" * 10000))
    assert response.status_code == 400
    assert "fields.model" in response.json()


def test_it_refuses_a_non_utf8_dossier_body(bob: Any, templates: Any) -> None:
    response = api(bob).post(
        "/api/v1/dossiers/", data=b'{"customer": "\xff"}', content_type="application/json"
    )
    assert response.status_code == 400


# --- one request, one service, one transaction (issue 23) ------------------------------


def test_it_changes_nothing_when_one_permission_of_a_patch_is_missing(
    carol: Any, car_dossier: Any
) -> None:
    """Carol (部门经理) may change a dossier but not record its location: a PATCH with a
    title and a location is refused as a whole; neither is saved nor audited as done."""
    title = car_dossier.title
    response = api(carol).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"title": "新题名", "location": {"room": "一号库房"}},
        format="json",
    )
    assert response.status_code == 403
    car_dossier.refresh_from_db()
    assert (car_dossier.title, car_dossier.location_room) == (title, "")
    done = AuditEntry.objects.filter(
        object_type="dossier", object_id=str(car_dossier.pk), outcome="success"
    ).values_list("action", flat=True)
    assert not {"change", "locate"} & set(done)


def test_it_saves_title_and_location_together(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"title": "新题名", "location": {"room": "一号库房"}, "reason": "整理"},
        format="json",
    )
    assert response.status_code == 200, response.content
    car_dossier.refresh_from_db()
    assert (car_dossier.title, car_dossier.location_room) == ("新题名", "一号库房")
    actions = audit_actions(object_type="dossier", object_id=str(car_dossier.pk))
    assert {"change", "locate"} <= set(actions)


def test_it_saves_nothing_when_one_field_of_a_patch_is_bad(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"title": "新题名", "location": {"room": "一号库房"}, "fields": {"vin": "BAD"}},
        format="json",
    )
    assert response.status_code == 400
    assert "fields.vin" in response.json()
    car_dossier.refresh_from_db()
    assert car_dossier.title != "新题名"
    assert car_dossier.location_room == ""


def test_it_names_a_status_in_a_patch(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"title": "新题名", "status": "terminated"},
        format="json",
    )
    assert response.status_code == 400
    assert has_chinese(response.json()["status"][0])
    car_dossier.refresh_from_db()
    assert (car_dossier.status, car_dossier.title) == ("filed", car_dossier.title)
    assert car_dossier.title != "新题名"


def test_it_names_an_unknown_field_in_a_patch(alice: Any, car_dossier: Any) -> None:
    response = api(alice).patch(
        f"/api/v1/dossiers/{car_dossier.pk}/", {"colour": "红"}, format="json"
    )
    assert response.status_code == 400
    assert "colour" in response.json()
