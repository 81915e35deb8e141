from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import another_car, audit_actions, car_fields
from dangan.archives import services
from dangan.archives.checklist import dossier_checklist
from dangan.archives.loader import SEED_DIR, TemplateError, templates_load
from dangan.archives.models import ArchiveType, Dossier
from dangan.core.errors import ApplicationError, Forbidden, NotFound, ValidationFailed
from dangan.documents.services import document_add

pytestmark = pytest.mark.django_db


class TestTemplatesLoad:
    def test_it_loads_the_seven_industry_types(self, templates: dict[str, Any]) -> None:
        assert set(templates) == {
            "RE-SALE",
            "PROPERTY",
            "CAR-SALE",
            "CAR-SERVICE",
            "HOTEL-GUEST",
            "MEMBER",
            "ENT-CREDIT",
            "CO-DAILY",  # a company file (issue 23 §8): no customer
        }
        assert all(t.items.count() >= 5 for t in templates.values())
        car = [i.name for i in templates["CAR-SALE"].items.all()]
        assert car[:2] == ["客户信息卡", "整车出库单"]
        assert templates["PROPERTY"].document_order == "newest_first"
        assert templates["CAR-SALE"].numbering == "{year}{month}{seq:2}"

    def test_it_keeps_ui_edits_when_loaded_again(self, templates: dict[str, Any], sam: Any) -> None:
        car = templates["CAR-SALE"]
        services.archive_type_update(actor=sam, archive_type=car, changes={"name": "新车档案"})
        templates_load(actor=None)
        car.refresh_from_db()
        assert car.name == "新车档案"
        templates_load(actor=None, update=True)
        car.refresh_from_db()
        assert car.name == "汽车销售档案"

    def test_it_refuses_a_broken_template_and_writes_nothing(self, tmp_path: Path) -> None:
        good = yaml.safe_load((SEED_DIR / "03_car_sales.yaml").read_text(encoding="utf-8"))
        (tmp_path / "a.yaml").write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
        broken = dict(good, code="BROKEN", numbering="{year}")
        (tmp_path / "b.yaml").write_text(
            yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8"
        )
        with pytest.raises(TemplateError, match=r"b\.yaml"):
            templates_load(actor=None, directory=tmp_path)
        assert ArchiveType.objects.count() == 0


class TestDossierCreate:
    def test_it_allocates_a_number_and_records_it(self, car_dossier: Dossier) -> None:
        assert len(car_dossier.archive_number) == 8  # YYYYMM + 2-digit nth of the month
        assert car_dossier.archive_number.endswith("01")
        assert car_dossier.retention == "D30"
        assert car_dossier.fields["vin"] == "1M8GDM9AXKP042788"
        assert audit_actions(object_type="dossier") == ["create"]

    def test_it_names_each_bad_custom_field(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ValidationFailed) as exc:
            services.dossier_create(
                actor=bob,
                customer=bobs_customer,
                archive_type=templates["CAR-SALE"],
                fields=car_fields(vin="1M8GDM9AXKP042789", delivery_date="2026-13-45", model=""),
            )
        errors = exc.value.as_dict()
        assert set(errors) == {"fields.vin", "fields.delivery_date", "fields.model"}
        assert Dossier.objects.count() == 0

    def test_it_accepts_clerk_date_formats(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        dossier = services.dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(purchase_date="2015.11.13", delivery_date="2015年11月14日"),
        )
        assert dossier.fields["purchase_date"] == "2015-11-13"
        assert dossier.fields["delivery_date"] == "2015-11-14"

    def test_it_refuses_a_type_for_the_wrong_customer_kind(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ApplicationError) as exc:
            services.dossier_create(
                actor=bob,
                customer=bobs_customer,
                archive_type=templates["ENT-CREDIT"],
                fields={"credit_rating": "A"},
            )
        assert exc.value.field == "archive_type"

    def test_it_hides_customers_outside_the_scope(
        self, templates: Any, dave: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(NotFound):
            services.dossier_create(
                actor=dave,
                customer=bobs_customer,
                archive_type=templates["CAR-SALE"],
                fields=car_fields(),
            )

    def test_it_uses_the_department_code_in_property_numbers(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        dossier = services.dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["PROPERTY"],
            fields={"building": "3", "floor": 12, "unit": "3-1203", "move_in_date": "2026-01-05"},
        )
        year = dossier.created_at.year
        assert dossier.archive_number == f"{year}-{bob.department.code}-0001"


class TestDossierChange:
    def test_it_never_changes_the_archive_number(self, car_dossier: Dossier, alice: Any) -> None:
        with pytest.raises(ApplicationError) as exc:
            services.dossier_update(
                actor=alice, dossier=car_dossier, changes={"archive_number": "X"}
            )
        assert exc.value.field == "archive_number"
        car_dossier.refresh_from_db()
        assert car_dossier.archive_number.endswith("01")

    def test_it_records_a_location_change(self, car_dossier: Dossier, alice: Any) -> None:
        services.dossier_locate(
            actor=alice,
            dossier=car_dossier,
            location={
                "room": "档案室A",
                "cabinet": "03",
                "shelf": "2",
                "box": "017",
                "position": "5",
            },
        )
        car_dossier.refresh_from_db()
        assert car_dossier.location_parts == ["档案室A", "03柜", "2层", "017盒", "5号"]
        assert "locate" in audit_actions(object_type="dossier")

    def test_it_lets_only_permitted_roles_locate(self, car_dossier: Dossier, bob: Any) -> None:
        with pytest.raises(Forbidden):
            services.dossier_locate(actor=bob, dossier=car_dossier, location={"room": "A"})


class TestChecklist:
    def test_it_shows_missing_and_present_items_in_order(
        self, car_dossier: Dossier, bob: Any
    ) -> None:
        checklist = dossier_checklist(car_dossier)
        first = checklist.rows[0]
        assert first.item.code == checklist.rows[0].item.code and first.missing
        document_add(actor=bob, dossier=car_dossier, checklist_item=first.item)
        checklist = dossier_checklist(car_dossier)
        assert checklist.rows[0].present
        assert checklist.present_required_count == 1

    def test_it_applies_conditional_items_only_when_their_condition_holds(
        self, templates: Any, bob: Any, bobs_customer: Any
    ) -> None:
        plated = services.dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(plated_by_dealer=True),
        )
        not_plated = services.dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=another_car(1, plated_by_dealer=False),
        )
        conditional = [
            i
            for i in templates["CAR-SALE"].items.all()
            if i.when.get("fields.plated_by_dealer") is True
        ]
        assert conditional, "the car template has a 行驶证 item that depends on dealer plating"
        code = conditional[0].code
        rows = {r.item.code: r for r in dossier_checklist(plated).rows}
        assert rows[code].applicable and rows[code].missing
        rows = {r.item.code: r for r in dossier_checklist(not_plated).rows}
        assert not rows[code].applicable and not rows[code].missing

    def test_it_switches_enterprise_items_by_customer_kind(
        self, templates: Any, alice: Any, bobs_customer: Any, daves_customer: Any
    ) -> None:
        fields = {
            "building": "3",
            "unit": "3-1203",
            "payment": "按揭",
            "contract_date": "2026-02-01",
        }
        person = services.dossier_create(
            actor=alice, customer=bobs_customer, archive_type=templates["RE-SALE"], fields=fields
        )
        company = services.dossier_create(
            actor=alice, customer=daves_customer, archive_type=templates["RE-SALE"], fields=fields
        )
        org_only = next(
            i
            for i in templates["RE-SALE"].items.all()
            if i.when == {"customer.kind": "organization"}
        )
        person_rows = {r.item.pk: r for r in dossier_checklist(person).rows}
        company_rows = {r.item.pk: r for r in dossier_checklist(company).rows}
        assert not person_rows[org_only.pk].applicable
        assert company_rows[org_only.pk].applicable


class TestTemplateEditing:
    def test_it_adds_reorders_and_makes_an_item_conditional(self, templates: Any, sam: Any) -> None:
        car = templates["CAR-SALE"]
        item = services.checklist_item_add(
            actor=sam, archive_type=car, data={"name": "购车发票原件照片"}
        )
        assert item.position == car.items.count()
        services.checklist_item_move(actor=sam, item=item, direction=-1)
        item.refresh_from_db()
        assert item.position == car.items.count() - 1
        services.checklist_item_update(
            actor=sam,
            item=item,
            data={"requirement": "conditional", "when": {"customer.kind": "organization"}},
        )
        item.refresh_from_db()
        assert item.requirement == "conditional"

    def test_it_refuses_conditions_on_unknown_fields(self, templates: Any, sam: Any) -> None:
        item = templates["CAR-SALE"].items.first()
        with pytest.raises(ApplicationError) as exc:
            services.checklist_item_update(
                actor=sam,
                item=item,
                data={"requirement": "conditional", "when": {"fields.nope": 1}},
            )
        assert exc.value.field == "when"

    def test_it_refuses_a_bad_numbering_rule(self, templates: Any, sam: Any) -> None:
        with pytest.raises(ApplicationError) as exc:
            services.archive_type_update(
                actor=sam, archive_type=templates["CAR-SALE"], changes={"numbering": "{year}"}
            )
        assert exc.value.field == "numbering"

    def test_it_lets_only_template_managers_edit(self, templates: Any, bob: Any) -> None:
        with pytest.raises(Forbidden):
            services.checklist_item_add(
                actor=bob, archive_type=templates["CAR-SALE"], data={"name": "x"}
            )


def test_it_keeps_seed_references_out_of_what_users_read(templates: Any) -> None:
    """ "(003 #5 一.1)" says which regulation a rule comes from: it stays in the YAML, not
    in field hints, checklist notes, penalties or descriptions."""
    import re

    from dangan.archives.models import ArchiveType, ChecklistItem

    reference = re.compile(r"[(（]00\d\s")
    for archive_type in ArchiveType.objects.all():
        texts = [archive_type.description, str(archive_type.fields), str(archive_type.penalties)]
        texts.append(str(archive_type.deadline))
        assert not [t for t in texts if reference.search(t)], archive_type.code
    for item in ChecklistItem.objects.all():
        assert not reference.search(item.note + item.name), item.code
    assert any(re.match(r"00\d ", t.source) for t in ArchiveType.objects.all())  # provenance
