"""One bag per thing (一车一档, issue 23 §5): unique business keys and dated parts."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from conftest import PDF_BYTES, another_car, audit_actions, car_fields
from dangan.archives import keys, lifecycle, parts, services
from dangan.archives.models import ArchiveType, Dossier, DossierKey
from dangan.core.errors import ApplicationError, NotFound
from dangan.customers.services import customer_create
from dangan.documents.services import document_add

pytestmark = pytest.mark.django_db

VIN = car_fields()["vin"]


def _second(actor: Any, customer: Any, templates: Any, **fields: Any) -> Dossier:
    return services.dossier_create(
        actor=actor,
        customer=customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(**fields),
    )


class TestUniqueKeys:
    def test_it_refuses_a_second_dossier_for_the_same_vin(
        self, bob: Any, bobs_customer: Any, car_dossier: Dossier, templates: Any
    ) -> None:
        with pytest.raises(keys.DuplicateKey) as exc:
            _second(bob, bobs_customer, templates, vin=VIN.lower())  # spelt differently
        assert exc.value.existing == car_dossier
        assert exc.value.field == "fields.vin"
        assert car_dossier.archive_number in str(exc.value.message)
        assert Dossier.objects.count() == 1
        # Another car is another bag.
        assert _second(bob, bobs_customer, templates, vin="LSVAU218XN2183294").pk

    def test_it_answers_409_naming_the_existing_dossier(
        self, client: Client, bob: Any, bobs_customer: Any, car_dossier: Dossier
    ) -> None:
        client.force_login(bob)
        answer = client.post(
            reverse("api:dossiers"),
            {"customer": bobs_customer.pk, "archive_type": "CAR-SALE", "fields": car_fields()},
            content_type="application/json",
        )
        assert answer.status_code == 409
        body = answer.json()
        assert body["existing"] == {
            "id": car_dossier.pk,
            "archive_number": car_dossier.archive_number,
        }
        assert "fields.vin" in body

    def test_it_keeps_the_key_taken_until_the_dossier_is_destroyed(
        self, alice: Any, bob: Any, bobs_customer: Any, car_dossier: Dossier, templates: Any
    ) -> None:
        dossier = lifecycle.dossier_transition(
            actor=alice, dossier=car_dossier, to="terminated", reason="合同终止"
        )
        with pytest.raises(keys.DuplicateKey):
            _second(bob, bobs_customer, templates)
        for state in ("appraisal", "pending_disposal", "destroyed"):
            dossier = lifecycle.dossier_transition(
                actor=alice, dossier=dossier, to=state, reason="到期鉴定", channel="disposal"
            )
        fresh = _second(bob, bobs_customer, templates)
        assert fresh.keys.get().value == VIN

    def test_dossiers_filed_before_the_type_declared_its_key_hold_it(
        self, alice: Any, bob: Any, bobs_customer: Any, templates: Any
    ) -> None:
        """A database upgraded to #23 (its types had no keys), or a key declared later on
        the rules page: the type's dossiers claim their keys, the oldest first. A car filed
        twice before keeps both its dossiers open to their other changes; a third dossier
        is refused, naming the oldest."""
        from dangan.rules.services import archive_type_section_save

        car = templates["CAR-SALE"]
        declared = car.unique_keys
        ArchiveType.objects.filter(pk=car.pk).update(unique_keys=[])
        car.refresh_from_db()
        first = _second(bob, bobs_customer, templates)
        twin = _second(bob, bobs_customer, templates)
        other = _second(bob, bobs_customer, templates, vin="LSVAU218XN2183294")
        assert not DossierKey.objects.exists()

        car = archive_type_section_save(
            actor=alice, archive_type=car, section="unique_keys", value=declared
        )
        held = dict(DossierKey.objects.values_list("value", "dossier_id"))
        assert held == {VIN: first.pk, "LSVAU218XN2183294": other.pk}
        templates["CAR-SALE"] = car
        with pytest.raises(keys.DuplicateKey) as exc:
            _second(bob, bobs_customer, templates)
        assert exc.value.existing == first
        # The twin's other fields and title change; its VIN stays with the first.
        ArchiveType.objects.filter(pk=car.pk).update(change_control={"default": "reason"})
        twin = services.dossier_update(
            actor=alice,
            dossier=twin,
            changes={"title": "二手车", "fields": {"color": "白"}},
            reason="更正",
        )
        assert twin.title == "二手车" and not twin.keys.exists()
        # Corrected to a VIN of its own, it holds that one.
        own = another_car(1)["vin"]
        twin = services.dossier_update(
            actor=alice, dossier=twin, changes={"fields": {"vin": own}}, reason="更正"
        )
        assert list(twin.keys.values_list("value", flat=True)) == [own]
        # Changed to a VIN another dossier holds, it is refused.
        with pytest.raises(keys.DuplicateKey):
            services.dossier_update(
                actor=alice, dossier=twin, changes={"fields": {"vin": VIN}}, reason="更正"
            )

    def test_it_moves_the_key_when_the_vin_is_corrected(
        self, alice: Any, bob: Any, bobs_customer: Any, car_dossier: Dossier, templates: Any
    ) -> None:
        other = _second(bob, bobs_customer, templates, vin="LSVAU218XN2183294")
        with pytest.raises(keys.DuplicateKey):
            services.dossier_update(actor=alice, dossier=other, changes={"fields": {"vin": VIN}})
        car_dossier.archive_type.change_control = {"default": "reason"}
        car_dossier.archive_type.save(update_fields=["change_control"])
        services.dossier_update(
            actor=alice,
            dossier=car_dossier,
            changes={"fields": {"vin": "LFV2A21K1J3012345"}},
            reason="车架号抄错,以合格证为准",
        )
        assert _second(bob, bobs_customer, templates).pk  # the old VIN is free again
        assert DossierKey.objects.count() == 3

    def test_it_keys_a_property_by_building_entrance_and_unit(
        self, bob: Any, bobs_customer: Any, templates: Any
    ) -> None:
        fields = {"building": "3", "entrance": "1", "unit": "1203", "floor": 12}
        fields["move_in_date"] = "2024-05-01"
        create = lambda **more: services.dossier_create(  # noqa: E731
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["PROPERTY"],
            fields={**fields, **more},
        )
        create()
        with pytest.raises(keys.DuplicateKey) as exc:
            create()
        assert "楼栋号" in str(exc.value.message)
        assert create(entrance="2").pk  # another entrance, another home

    def test_it_refuses_a_repeated_vin_per_row_in_an_import(
        self, tmp_path: Path, alice: Any, car_dossier: Dossier, templates: Any
    ) -> None:
        from dangan.importer import services as importer
        from dangan.importer.tests.helpers import xlsx_bytes

        fields = car_fields()
        spec = templates["CAR-SALE"].field_schema()
        labels = [s["label"] for s in spec if s["key"] in fields]
        keys_in_order = [s["key"] for s in spec if s["key"] in fields]

        def row(name: str, mobile: str, vin: str) -> list[Any]:
            values = {**fields, "vin": vin}
            return [name, mobile, *[str(values[k]) for k in keys_in_order]]

        rows = [
            ["姓名", "手机", *labels],
            row("甲", "13911110001", VIN),  # the car of car_dossier
            row("乙", "13911110002", "LSVAU218XN2183294"),
            row("丙", "13911110003", "LSVAU218XN2183294"),  # the same car again
            row("丁", "13911110004", "LFV2A21K1J3012345"),
        ]
        path = tmp_path / "cars.xlsx"
        path.write_bytes(xlsx_bytes(rows))
        job = importer.import_job_create(
            actor=alice, path=path, archive_type="CAR-SALE", dry_run=False
        )
        job = importer.import_run(job=job)
        reports = {r["name"]: r for r in job.row_reports()}
        assert reports["甲"]["status"] == "error"
        assert car_dossier.archive_number in reports["甲"]["errors"][0]["message"]
        assert reports["甲"]["errors"][0]["field"] == "车架号"
        assert reports["乙"]["status"] == "created"
        assert reports["丙"]["status"] == "error"
        assert "重复" in reports["丙"]["errors"][0]["message"]
        assert reports["丁"]["status"] == "created"
        assert Dossier.objects.filter(archive_type=templates["CAR-SALE"]).count() == 3


@pytest.mark.django_db(transaction=True)
def test_it_files_one_dossier_when_creates_race(templates: Any) -> None:
    """Eight clerks file the same car at the same moment: the key table lets one through."""
    from conftest import _user

    if connection.vendor == "sqlite":
        pytest.skip("needs PostgreSQL: SQLite serialises the writers anyway")
    bob = _user("bob", "account_manager", "销售一部")
    customer = customer_create(actor=bob, kind="individual", name="并发建档")
    writers = 8
    made: list[Dossier] = []
    refused: list[ApplicationError] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def create() -> None:
        try:
            barrier.wait()
            dossier = _second(bob, customer, templates)
            with lock:
                made.append(dossier)
        except ApplicationError as exc:
            with lock:
                refused.append(exc)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == 1
    assert len(refused) == writers - 1
    assert all(isinstance(exc, keys.DuplicateKey) for exc in refused)
    assert Dossier.objects.count() == 1


class TestParts:
    def test_it_files_documents_under_a_dated_part(
        self, client: Client, bob: Any, car_dossier: Dossier
    ) -> None:
        part = parts.dossier_part_add(
            actor=bob, dossier=car_dossier, label="首保", date=datetime.date(2026, 1, 5)
        )
        assert audit_actions(action="part_add") == ["part_add"]
        client.force_login(bob)
        answer = client.post(
            reverse("api:documents"),
            {"dossier": car_dossier.pk, "title": "首保工单", "part": part.pk},
        )
        assert answer.status_code == 201, answer.json()
        assert answer.json()["part"] == part.pk
        listed = client.get(reverse("api:dossier_parts", kwargs={"pk": car_dossier.pk})).json()
        assert listed == [
            {
                "id": part.pk,
                "label": "首保",
                "date": "2026-01-05",
                "document_count": 1,
                "created_at": listed[0]["created_at"],
            }
        ]
        page = client.get(reverse("archives:dossier", kwargs={"pk": car_dossier.pk}))
        html = page.content.decode()
        assert "卷内分组" in html and "2026-01-05 首保" in html

    def test_it_adds_a_part_from_the_page(
        self, client: Client, bob: Any, car_dossier: Dossier
    ) -> None:
        client.force_login(bob)
        answer = client.post(
            reverse("archives:part_add", kwargs={"pk": car_dossier.pk}),
            {"label": "2026年3月保养", "date": "2026-03-02"},
        )
        assert answer.status_code == 302
        assert car_dossier.parts.get().label == "2026年3月保养"

    def test_it_refuses_a_part_of_another_dossier_and_a_future_date(
        self, bob: Any, bobs_customer: Any, car_dossier: Dossier, templates: Any
    ) -> None:
        other = _second(bob, bobs_customer, templates, vin="LSVAU218XN2183294")
        part = parts.dossier_part_add(
            actor=bob, dossier=other, label="首保", date=datetime.date(2026, 1, 5)
        )
        with pytest.raises(ApplicationError) as exc:
            document_add(
                actor=bob,
                dossier=car_dossier,
                checklist_item=None,
                title="工单",
                file_name="a.pdf",
                file_chunks=[PDF_BYTES],
                part=part,
            )
        assert exc.value.field == "part"
        with pytest.raises(ApplicationError) as exc:
            parts.dossier_part_add(
                actor=bob, dossier=other, label="x", date=datetime.date(2999, 1, 1)
            )
        assert exc.value.field == "date"

    def test_it_hides_parts_from_strangers(
        self, client: Client, dave: Any, car_dossier: Dossier
    ) -> None:
        with pytest.raises(NotFound):
            parts.dossier_part_add(
                actor=dave, dossier=car_dossier, label="x", date=datetime.date(2026, 1, 1)
            )
        client.force_login(dave)
        url = reverse("api:dossier_parts", kwargs={"pk": car_dossier.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"label": "x", "date": "2026-01-01"}).status_code == 404
        assert not car_dossier.parts.exists()
