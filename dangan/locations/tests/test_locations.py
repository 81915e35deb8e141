"""The archive room's tree: natural order, places set up by the room, capacity refused with
a clear message (nothing changed, on the record), moves kept, the API's location shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from conftest import another_car, audit_actions, car_fields
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError
from dangan.locations import services
from dangan.locations.models import Location, Move
from dangan.locations.natural import natural_key

pytestmark = pytest.mark.django_db


def test_it_orders_buildings_and_house_numbers_naturally() -> None:
    names = ["14号楼", "1号楼", "4号楼", "3-1203", "3-903", "10-101", "A10", "A2"]
    assert sorted(names, key=natural_key) == [
        "1号楼",
        "3-903",
        "3-1203",
        "4号楼",
        "10-101",
        "14号楼",
        "A2",
        "A10",
    ]


def room_with_cabinet(alice: Any, capacity: int | None = 2) -> tuple[Location, Location]:
    room = services.location_create(actor=alice, kind="room", name="档案室A")
    cabinet = services.location_create(
        actor=alice, kind="cabinet", name="03", parent=room, capacity=capacity
    )
    return room, cabinet


def test_it_places_a_dossier_on_a_node_and_fills_the_api_texts(
    alice: Any, car_dossier: Any
) -> None:
    _room, cabinet = room_with_cabinet(alice)
    shelf = services.location_create(actor=alice, kind="shelf", name="2", parent=cabinet)
    services.dossier_relocate(actor=alice, dossier=car_dossier, location={"node": shelf.pk})
    car_dossier.refresh_from_db()
    assert car_dossier.location_node == shelf
    assert (car_dossier.location_room, car_dossier.location_cabinet) == ("档案室A", "03")
    assert car_dossier.location_parts == ["档案室A", "03柜", "2层"]
    body = APIClient()
    body.force_authenticate(alice)
    location = body.get(f"/api/v1/dossiers/{car_dossier.pk}/").json()["location"]
    assert location == {
        "room": "档案室A",
        "cabinet": "03",
        "shelf": "2",
        "box": "",
        "position": "",
        "node": shelf.pk,
    }
    # Texts written through the API find their node again.
    body.patch(
        f"/api/v1/dossiers/{car_dossier.pk}/",
        {"location": {"room": "档案室A", "cabinet": "03", "shelf": "", "box": "7"}},
        format="json",
    )
    car_dossier.refresh_from_db()
    assert car_dossier.location_node == cabinet
    assert car_dossier.location_box == "7"
    moves = list(Move.objects.filter(dossier=car_dossier).order_by("moved_at", "id"))
    assert [m.to_node for m in moves] == [shelf, cabinet]
    assert moves[1].from_text == "档案室A › 03柜 › 2层"


def test_it_refuses_a_full_cabinet_with_a_clear_message_and_changes_nothing(
    alice: Any, templates: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    from dangan.archives.services import dossier_create

    _room, cabinet = room_with_cabinet(alice, capacity=1)
    services.dossier_relocate(actor=alice, dossier=car_dossier, location={"node": cabinet.pk})
    other = dossier_create(
        actor=alice,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(vin="LSVF8PX49X0748337"),
    )
    with pytest.raises(ApplicationError, match="已满") as refused:
        services.dossier_relocate(actor=alice, dossier=other, location={"node": cabinet.pk})
    assert "容量 1 份" in str(refused.value.message)
    other.refresh_from_db()
    assert other.location_node is None and other.location_room == ""
    assert not Move.objects.filter(dossier=other).exists()
    refusal = AuditEntry.objects.get(action="locate", outcome="failed")
    assert refusal.object_id == str(other.pk)
    # A new dossier named into the full cabinet is refused too.
    with pytest.raises(ApplicationError, match="已满"):
        dossier_create(
            actor=alice,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=another_car(3),
            location={"node": cabinet.pk},
        )


def test_it_refuses_a_place_of_the_wrong_kind_or_a_twin_name(alice: Any) -> None:
    room, cabinet = room_with_cabinet(alice)
    with pytest.raises(ApplicationError, match="柜不能放在"):
        services.location_create(actor=alice, kind="cabinet", name="04", parent=cabinet)
    with pytest.raises(ApplicationError, match="已有"):
        services.location_create(actor=alice, kind="cabinet", name="03", parent=room)
    with pytest.raises(ApplicationError, match="库房"):
        services.location_create(actor=alice, kind="box", name="1")
    assert audit_actions(action="location_create") == ["location_create", "location_create"]


def test_it_lists_places_for_staff_and_refuses_outsiders(alice: Any, bob: Any, sam: Any) -> None:
    room, cabinet = room_with_cabinet(alice)
    staff = APIClient()
    staff.force_authenticate(alice)
    rows = staff.get("/api/v1/locations/").json()
    assert [r["path"] for r in rows] == ["档案室A", "档案室A › 03柜"]
    created = staff.post(
        "/api/v1/locations/", {"parent": cabinet.pk, "kind": "shelf", "name": "1"}, format="json"
    )
    assert created.status_code == 201 and created.json()["path"] == "档案室A › 03柜 › 1层"
    manager = APIClient()
    manager.force_authenticate(bob)
    refused = manager.post("/api/v1/locations/", {"kind": "room", "name": "X"}, format="json")
    assert refused.status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(sam)
    assert outsider.get(f"/api/v1/locations/{room.pk}/").status_code == 404


def test_it_shows_where_a_dossier_is_and_was_on_its_page(alice: Any, car_dossier: Any) -> None:
    _room, cabinet = room_with_cabinet(alice)
    services.dossier_relocate(actor=alice, dossier=car_dossier, location={"room": "旧库房"})
    client = Client()
    client.force_login(alice)
    response = client.post(f"/locations/place/{car_dossier.pk}/", {"node": cabinet.pk})
    assert response.status_code == 302
    page = client.get(f"/dossiers/{car_dossier.pk}/").content.decode()
    assert "档案室A › 03柜" in page and "旧库房 → 档案室A › 03柜" in page
    listing = client.get(f"/locations/{cabinet.pk}/").content.decode()
    assert car_dossier.archive_number in listing


def test_it_exports_each_dossiers_place_in_five_columns(alice: Any, car_dossier: Any) -> None:
    import io

    from openpyxl import load_workbook

    _room, cabinet = room_with_cabinet(alice)
    services.dossier_relocate(actor=alice, dossier=car_dossier, location={"node": cabinet.pk})
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get("/api/v1/exports/dossiers.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert header[-5:] == ["库房", "柜", "架/层", "盒", "位置"]
    row = next(r for r in rows if r[0] == car_dossier.archive_number)
    assert row[-5:-3] == ["档案室A", "03"]


def test_it_lists_a_placed_type_in_natural_house_order(
    alice: Any, templates: Any, bobs_customer: Any
) -> None:
    from dangan.archives.selectors import dossier_list
    from dangan.archives.services import dossier_create

    for building in ("14", "1", "4"):
        dossier_create(
            actor=alice,
            customer=bobs_customer,
            archive_type=templates["PROPERTY"],
            fields={
                "building": f"{building}号楼",
                "floor": 3,
                "unit": "301",
                "move_in_date": "2026-01-05",
            },
        )
    listed = dossier_list(alice, filters={"archive_type": templates["PROPERTY"]})
    assert [d.fields["building"] for d in listed] == ["1号楼", "4号楼", "14号楼"]


def test_it_builds_the_tree_from_the_places_dossiers_name_in_text(
    alice: Any, car_dossier: Any
) -> None:
    from dangan.archives.services import dossier_locate

    dossier_locate(
        actor=alice,
        dossier=car_dossier,
        location={"room": "档案室B", "cabinet": "01", "shelf": "1", "box": "031", "position": "4"},
    )
    created, linked = services.tree_from_texts(actor=alice)
    assert (created, linked) == (4, 1)
    car_dossier.refresh_from_db()
    assert services.path_text(car_dossier.location_node) == "档案室B › 01柜 › 1层 › 031盒"
    assert car_dossier.location_position == "4"
    assert services.tree_from_texts(actor=alice) == (0, 0)  # again: nothing left to do
    assert audit_actions(action="location_link") == ["location_link", "location_link"]
