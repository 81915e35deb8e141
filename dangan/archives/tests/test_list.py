from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dangan.archives.selectors import dossier_list
from dangan.archives.services import dossier_create

pytestmark = pytest.mark.django_db


def test_it_orders_property_bags_as_they_stand_in_the_cabinet(
    templates: Any, alice: Any, bobs_customer: Any
) -> None:
    prop = templates["PROPERTY"]
    for building, floor, unit in (("3", 12, "3-1203"), ("1", 5, "1-0502"), ("3", 2, "3-0201")):
        dossier_create(
            actor=alice,
            customer=bobs_customer,
            archive_type=prop,
            fields={
                "building": building,
                "floor": floor,
                "unit": unit,
                "move_in_date": "2026-01-05",
            },
        )
    units = [d.fields["unit"] for d in dossier_list(alice, filters={"archive_type": prop})]
    assert units[0] == "1-0502"
    assert set(units[1:]) == {"3-1203", "3-0201"}


def test_it_lists_only_what_the_user_may_see(car_dossier: Any, bob: Any, dave: Any) -> None:
    assert list(dossier_list(bob, filters={})) == [car_dossier]
    assert list(dossier_list(dave, filters={})) == []
    client = Client()
    client.force_login(dave)
    assert car_dossier.archive_number not in client.get("/dossiers/").content.decode()
    client.force_login(bob)
    page = client.get("/dossiers/", {"q": car_dossier.archive_number}).content.decode()
    assert car_dossier.archive_number in page


def test_it_orders_documents_as_the_type_says(
    templates: Any, alice: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    import datetime

    from dangan.archives.checklist import dossier_checklist
    from dangan.archives.selectors import dossier_documents
    from dangan.documents.services import document_add

    prop = dossier_create(
        actor=alice,
        customer=bobs_customer,
        archive_type=templates["PROPERTY"],
        fields={"building": "3", "floor": 12, "unit": "3-1203", "move_in_date": "2026-01-05"},
    )
    items = list(prop.archive_type.items.all())
    for n, day in enumerate((3, None, 9)):
        document_add(
            actor=alice,
            dossier=prop,
            checklist_item=items[n],
            title=f"文件{n}",
            doc_date=datetime.date(2026, 1, day) if day else None,
        )
    newest = [d.title for d in dossier_documents(prop, dossier_checklist(prop))]
    assert newest == ["文件2", "文件0", "文件1"]  # newest first, undated last
    car_items = list(car_dossier.archive_type.items.all())
    for item in (car_items[2], car_items[0]):
        document_add(actor=alice, dossier=car_dossier, checklist_item=item, title=item.name)
    document_add(actor=alice, dossier=car_dossier, checklist_item=None, title="其他")
    ordered = [d.title for d in dossier_documents(car_dossier, dossier_checklist(car_dossier))]
    assert ordered == [car_items[0].name, car_items[2].name, "其他"]  # checklist order
