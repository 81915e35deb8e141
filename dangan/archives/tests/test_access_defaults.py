"""An archive type's access defaults (issue 27 §4): the 密级 of its new dossiers, and a
change of 密级 that never hides a dossier from its owner or the archive room."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import _user, audit_actions
from dangan.accounts import policy
from dangan.archives import services
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError, NotFound

pytestmark = pytest.mark.django_db

PROPERTY_FIELDS = {"building": "3", "floor": 12, "unit": "3-1203", "move_in_date": "2026-10-01"}


def property_dossier(templates: Any, actor: Any, customer: Any, **kw: Any) -> Dossier:
    return services.dossier_create(
        actor=actor,
        customer=customer,
        archive_type=templates["PROPERTY"],
        fields=PROPERTY_FIELDS,
        **kw,
    )


class TestTypeDefaults:
    def test_it_makes_property_dossiers_secret(self, templates: Any, bob: Any, bobs_customer: Any):
        assert templates["PROPERTY"].default_confidentiality == "secret"
        dossier = property_dossier(templates, bob, bobs_customer)
        assert dossier.confidentiality == "secret"

    def test_it_keeps_real_estate_sales_normal(self, templates: Any, car_dossier: Any):
        assert templates["RE-SALE"].default_confidentiality == "normal"
        assert car_dossier.confidentiality == "normal"

    def test_it_takes_a_chosen_level_over_the_default(
        self, templates: Any, bob: Any, bobs_customer: Any
    ):
        dossier = property_dossier(templates, bob, bobs_customer, confidentiality="normal")
        assert dossier.confidentiality == "normal"

    def test_it_forbids_copies_of_member_originals(self, templates: Any):
        assert templates["MEMBER"].originals_copyable is False
        assert templates["CAR-SALE"].originals_copyable is True

    def test_it_changes_the_default_through_the_service(self, templates: Any, sam: Any):
        car = templates["CAR-SALE"]
        services.archive_type_update(
            actor=sam, archive_type=car, changes={"default_confidentiality": "confidential"}
        )
        car.refresh_from_db()
        assert car.default_confidentiality == "confidential"
        assert "change" in audit_actions(object_type="archivetype", object_id=str(car.pk))

    def test_it_refuses_an_unknown_level(self, templates: Any, sam: Any):
        car = templates["CAR-SALE"]
        with pytest.raises(ApplicationError) as exc:
            services.archive_type_update(
                actor=sam, archive_type=car, changes={"default_confidentiality": "very"}
            )
        assert exc.value.field == "default_confidentiality"
        car.refresh_from_db()
        assert car.default_confidentiality == "normal"

    def test_the_api_creates_at_the_types_level(
        self, client: Any, templates: Any, bob: Any, bobs_customer: Any
    ):
        client.force_login(bob)
        answer = client.post(
            "/api/v1/dossiers/",
            {"customer": bobs_customer.pk, "archive_type": "PROPERTY", "fields": PROPERTY_FIELDS},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.json()
        assert answer.json()["confidentiality"] == "secret"
        types = client.get("/api/v1/archive-types/PROPERTY/").json()
        assert types["default_confidentiality"] == "secret"


class TestLevelNeverHides:
    def raise_to(self, actor: Any, dossier: Dossier, level: str) -> Dossier:
        # The type's change control asks a reason for the 密级 here, not an approval.
        archive_type = dossier.archive_type
        archive_type.change_control = {"fields": {"confidentiality": "reason"}}
        archive_type.save(update_fields=["change_control"])
        result = services.dossier_update(
            actor=actor, dossier=dossier, changes={"confidentiality": level}, reason="定密"
        )
        assert isinstance(result, Dossier)
        return result

    def test_the_owner_still_sees_a_top_secret_dossier(
        self, alice: Any, bob: Any, carol: Any, car_dossier: Any
    ):
        self.raise_to(alice, car_dossier, "top_secret")
        assert policy.access_dossier(bob, car_dossier.pk) == car_dossier
        assert policy.dossiers_for(bob).filter(pk=car_dossier.pk).exists()
        with pytest.raises(NotFound):  # the department manager's clearance is 机密
            policy.access_dossier(carol, car_dossier.pk)

    def test_the_archive_room_still_sees_it(self, alice: Any, car_dossier: Any):
        assert "top_secret" not in [r.clearance for r in policy.roles_of(alice)]
        dossier = self.raise_to(alice, car_dossier, "top_secret")
        assert dossier.confidentiality == "top_secret"
        assert policy.access_dossier(alice, car_dossier.pk) == car_dossier
        assert policy.dossiers_hidden(alice, [car_dossier.pk]) == set()

    def test_an_all_scope_owner_keeps_it_in_the_search_check(self, alice: Any, car_dossier: Any):
        """Customer service sees every customer up to 秘密: the search's fast check hides a
        绝密 dossier from them, but not from an all-scope reader who owns its customer."""
        frank = _user("frank", "customer_service", "销售二部", "吴刚")
        self.raise_to(alice, car_dossier, "top_secret")
        assert policy.dossiers_hidden(frank, [car_dossier.pk]) == {car_dossier.pk}
        car_dossier.customer.owner = frank
        car_dossier.customer.save(update_fields=["owner"])
        assert policy.dossiers_hidden(frank, [car_dossier.pk]) == set()

    def test_the_search_finds_it_for_its_owner(self, alice: Any, bob: Any, car_dossier: Any):
        from dangan.search.selectors import search

        self.raise_to(alice, car_dossier, "top_secret")
        found = search(bob, car_dossier.archive_number)
        dossiers = next(g for g in found.groups if g.kind == "dossier")
        assert [hit.pk for hit in dossiers.hits] == [car_dossier.pk]
