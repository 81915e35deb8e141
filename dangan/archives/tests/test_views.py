"""HTML views for dossiers and archive types (htmx fragments included)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import PASSWORD, audit_actions, car_fields

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


def dossier_post(archive_type: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "archive_type": archive_type.pk,
        "title": "",
        "confidentiality": "normal",
        "volume_year": 2026,
    }
    for key, value in car_fields().items():
        if value is True:
            data[f"f_{key}"] = "on"
        elif value is not False:
            data[f"f_{key}"] = value
    data.update(overrides)
    return data


# --- dossier create ----------------------------------------------------------------


def test_it_creates_a_dossier_and_shows_its_number(
    bob: Any, bobs_customer: Any, templates: Any
) -> None:
    from dangan.archives.models import Dossier

    client = login(bob)
    response = client.post(
        f"/customers/{bobs_customer.pk}/dossiers/new/", dossier_post(templates["CAR-SALE"])
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dossiers/{dossier.pk}/"
    assert dossier.fields["vin"] == "1M8GDM9AXKP042788"
    assert dossier.fields["plated_by_dealer"] is True
    page = client.get(response["Location"])
    assert dossier.archive_number in page.content.decode()
    assert "create" in audit_actions(object_type="dossier")


def test_it_shows_a_bad_vin_in_place(bob: Any, bobs_customer: Any, templates: Any) -> None:
    from dangan.archives.models import Dossier

    response = login(bob).post(
        f"/customers/{bobs_customer.pk}/dossiers/new/",
        dossier_post(templates["CAR-SALE"], f_vin="1M8GDM9AXKP042789"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["f_vin"]
    assert not Dossier.objects.exists()


def test_it_renders_the_custom_fields_fragment_for_htmx(
    bob: Any, bobs_customer: Any, templates: Any
) -> None:
    response = login(bob).get(
        f"/customers/{bobs_customer.pk}/dossiers/new/",
        {"archive_type": templates["CAR-SALE"].pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith("<fieldset")
    assert html.endswith("</fieldset>")
    assert 'name="f_vin"' in html
    assert "<html" not in html
    assert 'name="archive_type"' not in html


def test_it_renders_the_full_create_page_without_htmx(
    bob: Any, bobs_customer: Any, templates: Any
) -> None:
    response = login(bob).get(
        f"/customers/{bobs_customer.pk}/dossiers/new/", {"archive_type": templates["CAR-SALE"].pk}
    )
    html = response.content.decode()
    assert "<html" in html
    assert 'name="f_vin"' in html


def test_it_survives_a_junk_archive_type(bob: Any, bobs_customer: Any, templates: Any) -> None:
    client = login(bob)
    url = f"/customers/{bobs_customer.pk}/dossiers/new/"
    assert client.get(url, {"archive_type": "abc"}, HTTP_HX_REQUEST="true").status_code == 200
    assert client.get(url, {"archive_type": "99999999999999999999"}).status_code == 200
    assert client.post(url, {"archive_type": "x"}).status_code == 200


def test_it_hides_the_create_page_for_another_departments_customer(
    dave: Any, bobs_customer: Any, templates: Any
) -> None:
    from dangan.archives.models import Dossier

    client = login(dave)
    url = f"/customers/{bobs_customer.pk}/dossiers/new/"
    assert client.get(url).status_code == 404
    assert client.post(url, dossier_post(templates["CAR-SALE"])).status_code == 404
    assert not Dossier.objects.exists()


# --- dossier page ------------------------------------------------------------------


def test_it_shows_the_dossier_with_its_checklist(bob: Any, car_dossier: Any) -> None:
    response = login(bob).get(f"/dossiers/{car_dossier.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert car_dossier.archive_number in html
    assert "客户信息卡" in html
    assert "缺失" in html
    assert "view" in audit_actions(object_type="dossier", object_id=str(car_dossier.pk))


def test_it_hides_another_departments_dossier(dave: Any, car_dossier: Any) -> None:
    response = login(dave).get(f"/dossiers/{car_dossier.pk}/")
    assert response.status_code == 404
    assert car_dossier.archive_number not in response.content.decode()
    assert "view" not in audit_actions(object_type="dossier")


def upload_data(dossier: Any, content: bytes, name: str = "info.pdf") -> dict[str, Any]:
    item = dossier.archive_type.items.get(code="INFO_CARD")
    return {
        "checklist_item": item.pk,
        "title": "",
        "carrier": "paper_copy",
        "file": SimpleUploadedFile(name, content, "application/pdf"),
    }


def info_card_row(html: str) -> str:
    start = html.index('data-item="INFO_CARD"')
    return html[start : html.index("</tr>", start)]


def test_it_uploads_a_document(bob: Any, car_dossier: Any, pdf_bytes: bytes) -> None:
    client = login(bob)
    response = client.post(
        f"/dossiers/{car_dossier.pk}/documents/", upload_data(car_dossier, pdf_bytes)
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已归档" in info_card_row(page)
    assert car_dossier.documents.get().attachments.get().original_name == "info.pdf"


def test_it_uploads_a_document_with_htmx(bob: Any, car_dossier: Any, pdf_bytes: bytes) -> None:
    response = login(bob).post(
        f"/dossiers/{car_dossier.pk}/documents/",
        upload_data(car_dossier, pdf_bytes),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="checklist"' in html
    assert "已归档" in info_card_row(html)
    # The confirmation arrives with the fragment (an out-of-band swap of #messages).
    oob = html[html.index('id="messages"') :]
    assert 'hx-swap-oob="true"' in oob[:200] and "文件已归档" in oob


def test_it_shows_an_upload_error_with_htmx(bob: Any, car_dossier: Any) -> None:
    response = login(bob).post(
        f"/dossiers/{car_dossier.pk}/documents/",
        upload_data(car_dossier, b"plain text, not a scan " * 20, "x.pdf"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "不支持的文件格式" in html
    assert not car_dossier.documents.exists()


def test_it_refuses_an_upload_to_a_hidden_dossier(
    dave: Any, car_dossier: Any, pdf_bytes: bytes
) -> None:
    response = login(dave).post(
        f"/dossiers/{car_dossier.pk}/documents/", upload_data(car_dossier, pdf_bytes)
    )
    assert response.status_code == 404
    assert not car_dossier.documents.exists()


def test_it_updates_the_location(alice: Any, car_dossier: Any) -> None:
    client = login(alice)
    response = client.post(
        f"/dossiers/{car_dossier.pk}/location/",
        {"room": "一号库房", "cabinet": "A3", "shelf": "2", "box": "15", "position": "7"},
    )
    assert response.status_code == 302
    html = client.get(f"/dossiers/{car_dossier.pk}/").content.decode()
    location = html[html.index('id="location"') :]
    assert "一号库房" in location[:500]
    assert "A3" in location[:500]
    assert "locate" in audit_actions(object_type="dossier")


def test_it_refuses_location_to_an_account_manager(bob: Any, car_dossier: Any) -> None:
    response = login(bob).post(f"/dossiers/{car_dossier.pk}/location/", {"room": "X"})
    assert response.status_code == 403
    car_dossier.refresh_from_db()
    assert car_dossier.location_room == ""


def test_it_shows_an_overlong_location_in_place(alice: Any, car_dossier: Any) -> None:
    response = login(alice).post(f"/dossiers/{car_dossier.pk}/location/", {"room": "库" * 41})
    assert response.status_code == 200
    assert response.context["location_form"].errors["room"]


def test_it_escapes_custom_field_values(bob: Any, bobs_customer: Any, templates: Any) -> None:
    from dangan.archives.services import dossier_create

    dossier = dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(model="<script>alert(1)</script>"),
        title="<img src=x onerror=alert(1)>",
    )
    html = login(bob).get(f"/dossiers/{dossier.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html


# --- archive types ------------------------------------------------------------------


def test_it_lets_the_sysadmin_see_the_types(sam: Any, templates: Any) -> None:
    client = login(sam)
    assert "汽车销售档案" in client.get("/archive-types/").content.decode()
    response = client.get(f"/archive-types/{templates['CAR-SALE'].pk}/")
    assert response.status_code == 200
    assert 'name="form" value="item"' in response.content.decode()


def test_it_hides_the_types_from_the_auditor(ada: Any, templates: Any) -> None:
    assert login(ada).get("/archive-types/").status_code == 403


def test_it_lets_the_sysadmin_manage_the_checklist(sam: Any, templates: Any) -> None:
    from dangan.archives.models import ChecklistItem

    car = templates["CAR-SALE"]
    client = login(sam)
    response = client.post(
        f"/archive-types/{car.pk}/",
        {
            "form": "item",
            "name": "购置税完税证明",
            "group": "其他",
            "requirement": "optional",
            "condition": "",
            "copies": "1",
        },
    )
    assert response.status_code == 302, response.context["item_form"].errors
    item = ChecklistItem.objects.get(archive_type=car, name="购置税完税证明")
    last = car.items.order_by("-position").first()
    assert item == last
    assert "create" in audit_actions(object_type="checklistitem")

    old_position = item.position
    assert (
        client.post(f"/archive-types/items/{item.pk}/move/", {"direction": "up"}).status_code == 302
    )
    item.refresh_from_db()
    assert item.position == old_position - 1
    assert "reorder" in audit_actions()

    response = client.post(
        f"/archive-types/items/{item.pk}/",
        {
            "name": "购置税完税证明",
            "group": "其他",
            "requirement": "conditional",
            "condition": "customer.kind=organization",
            "copies": "1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    item.refresh_from_db()
    assert item.requirement == "conditional"
    assert item.when == {"customer.kind": "organization"}
    page = client.get(f"/archive-types/{car.pk}/").content.decode()
    assert "customer.kind=organization" in page


def test_it_shows_a_bad_condition_in_place(sam: Any, templates: Any) -> None:
    item = templates["CAR-SALE"].items.get(code="INFO_CARD")
    response = login(sam).post(
        f"/archive-types/items/{item.pk}/",
        {
            "name": "客户信息卡",
            "requirement": "conditional",
            "condition": "fields.nope=1",
            "copies": "1",
        },
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.requirement == "required"


def test_it_refuses_checklist_changes_to_an_account_manager(bob: Any, templates: Any) -> None:
    car = templates["CAR-SALE"]
    item = car.items.get(code="INFO_CARD")
    client = login(bob)
    count = car.items.count()
    assert (
        client.post(
            f"/archive-types/{car.pk}/",
            {"form": "item", "name": "X", "requirement": "optional", "copies": "1"},
        ).status_code
        == 403
    )
    assert (
        client.post(f"/archive-types/items/{item.pk}/move/", {"direction": "down"}).status_code
        == 403
    )
    assert (
        client.post(
            f"/archive-types/items/{item.pk}/",
            {"name": "X", "requirement": "optional", "copies": "1"},
        ).status_code
        == 403
    )
    assert car.items.count() == count
    item.refresh_from_db()
    assert item.name == "客户信息卡"


def test_it_refuses_a_dossier_post_without_csrf_token(
    bob: Any, bobs_customer: Any, templates: Any
) -> None:
    from dangan.archives.models import Dossier

    client = Client(enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    response = client.post(
        f"/customers/{bobs_customer.pk}/dossiers/new/", dossier_post(templates["CAR-SALE"])
    )
    assert response.status_code == 403
    assert not Dossier.objects.exists()


def test_it_edits_business_fields_on_a_page(
    alice: Any, carol: Any, car_dossier: Any, client: Any
) -> None:
    """The page edits a dossier's fields; a CAR-SALE colour needs approval (seed 003)."""
    from dangan.changes.models import ChangeRequest

    client.force_login(alice)
    url = f"/dossiers/{car_dossier.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'name="f_color"' in page and "须审批" in page
    form = {"title": car_dossier.title, "confidentiality": "normal"}
    form |= {f"f_{k}": v for k, v in car_dossier.fields.items() if not isinstance(v, bool)}
    form |= {f"f_{k}": "on" for k, v in car_dossier.fields.items() if v is True}
    response = client.post(url, {**form, "f_color": "珍珠白", "reason": "以行驶证为准"})
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert list(request.after) == ["fields.color"]
    car_dossier.refresh_from_db()
    assert car_dossier.fields["color"] != "珍珠白"
    page = client.get(f"/dossiers/{car_dossier.pk}/").content.decode()
    assert "珍珠白" in page and request.number in page


def test_it_refuses_the_edit_page_without_the_change_permission(
    bob: Any, car_dossier: Any, client: Any
) -> None:
    client.force_login(bob)
    assert client.get(f"/dossiers/{car_dossier.pk}/edit/").status_code == 403
