from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from conftest import audit_actions
from dangan.core import crypto
from dangan.core.errors import ApplicationError, Forbidden
from dangan.customers.models import Customer
from dangan.customers.services import customer_create, customer_update

pytestmark = pytest.mark.django_db


class TestCustomerCreate:
    def test_it_creates_an_individual_with_derived_birth_date_and_gender(self, bob: Any) -> None:
        customer = customer_create(
            actor=bob, kind="individual", name=" 张三 ", id_number="11010519491231002x"
        )
        assert customer.name == "张三"
        assert customer.id_number == "11010519491231002X"
        assert str(customer.birth_date) == "1949-12-31"
        assert customer.gender == "female"
        assert customer.owner == bob
        assert customer.department == bob.department
        assert audit_actions(object_type="customer", object_id=str(customer.pk)) == ["create"]

    def test_it_stores_the_id_number_encrypted(self, bob: Any) -> None:
        customer = customer_create(
            actor=bob, kind="individual", name="张三", id_number="11010519491231002X"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM customers_customer WHERE id = %s", [customer.pk])
            row = " ".join(str(v) for v in cursor.fetchone())
        assert "11010519491231002X" not in row
        assert "1949" not in customer.id_number_encrypted

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"id_number": "110105194912310021"}, "id_number"),
            ({"id_number": "110105194913310020"}, "id_number"),
            ({"mobile": "12345678901"}, "mobile"),
            ({"kind": "robot"}, "kind"),
            ({"name": "  "}, "name"),
            ({"tier": "vip"}, "tier"),
            ({"credit_limit": Decimal("-1")}, "credit_limit"),
        ],
    )
    def test_it_refuses_bad_input_naming_the_field(
        self, bob: Any, data: dict[str, Any], field: str
    ) -> None:
        kwargs: dict[str, Any] = {"kind": "individual", "name": "张三", **data}
        with pytest.raises(ApplicationError) as exc:
            customer_create(actor=bob, **kwargs)
        assert exc.value.field == field
        assert Customer.objects.count() == 0

    def test_it_names_the_existing_customer_for_a_duplicate_id(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ApplicationError) as exc:
            customer_create(
                actor=bob, kind="individual", name="张叁", id_number="11010519491231002X"
            )
        assert exc.value.field == "id_number"
        assert "张三" in str(exc.value.message)
        assert Customer.objects.count() == 1

    def test_it_does_not_name_a_duplicate_the_actor_cannot_see(
        self, dave: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ApplicationError) as exc:
            customer_create(
                actor=dave, kind="individual", name="张叁", id_number="11010519491231002X"
            )
        assert "张三" not in str(exc.value.message)

    def test_it_accepts_a_failing_uscc_only_with_a_reason(self, bob: Any) -> None:
        bad = "91350100M000100Y44"
        with pytest.raises(ApplicationError) as exc:
            customer_create(actor=bob, kind="organization", name="某公司", uscc=bad)
        assert exc.value.field == "uscc"
        customer = customer_create(
            actor=bob,
            kind="organization",
            name="某公司",
            uscc=bad,
            uscc_override_reason="营业执照原件核对无误",
        )
        assert customer.uscc == bad
        assert customer.uscc_override_reason == "营业执照原件核对无误"

    def test_it_refuses_a_second_customer_with_the_same_uscc(self, bob: Any) -> None:
        customer_create(actor=bob, kind="organization", name="甲公司", uscc="91350100M000100Y43")
        with pytest.raises(ApplicationError) as exc:
            customer_create(
                actor=bob, kind="organization", name="乙公司", uscc="91350100M000100Y43"
            )
        assert exc.value.field == "uscc"

    def test_it_refuses_an_owner_outside_the_actors_scope(self, bob: Any, dave: Any) -> None:
        with pytest.raises(ApplicationError) as exc:
            customer_create(actor=bob, kind="individual", name="张三", owner=dave)
        assert exc.value.field == "owner"

    def test_it_lets_the_archivist_assign_any_owner(self, alice: Any, dave: Any) -> None:
        customer = customer_create(actor=alice, kind="individual", name="张三", owner=dave)
        assert customer.owner == dave and customer.department == dave.department

    def test_it_refuses_roles_without_create_permission(self, sam: Any, ada: Any) -> None:
        for actor in (sam, ada):
            with pytest.raises(Forbidden):
                customer_create(actor=actor, kind="individual", name="张三")


class TestCustomerUpdate:
    def test_it_records_changed_fields_before_and_after(self, bob: Any, bobs_customer: Any) -> None:
        customer_update(
            actor=bob,
            customer=bobs_customer,
            changes={"name": "张三丰", "mobile": "13900139000"},
            reason="更正",
        )
        bobs_customer.refresh_from_db()
        assert (bobs_customer.name, bobs_customer.mobile) == ("张三丰", "13900139000")
        from dangan.audit.models import AuditEntry

        entry = AuditEntry.objects.filter(action="change").get()
        assert entry.detail["before"]["name"] == "张三"
        assert entry.detail["after"]["name"] == "张三丰"

    def test_it_never_writes_id_numbers_into_the_audit_trail(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        customer_update(
            actor=bob,
            customer=bobs_customer,
            changes={"id_number": "110101199003074258"},
            reason="证件更正",
        )
        bobs_customer.refresh_from_db()
        assert bobs_customer.id_number == "110101199003074258"
        from dangan.audit.models import AuditEntry

        assert "110101199003074258" not in str(list(AuditEntry.objects.values_list("detail")))

    def test_it_rehashes_and_clears_the_tail_lookups_with_the_number(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        assert bobs_customer.id_last5_lookup == crypto.lookup_hash("1002X", purpose="last5")
        customer_update(
            actor=bob,
            customer=bobs_customer,
            changes={"id_number": "110101199003074258"},
            reason="证件更正",
        )
        bobs_customer.refresh_from_db()
        assert bobs_customer.id_last5_lookup == crypto.lookup_hash("74258", purpose="last5")
        customer_update(actor=bob, customer=bobs_customer, changes={"id_number": ""}, reason="撤销")
        bobs_customer.refresh_from_db()
        lookups = [getattr(bobs_customer, f"id_last{n}_lookup") for n in (4, 5, 6)]
        assert lookups == ["", "", ""]

    def test_it_keeps_the_id_number_when_other_fields_change(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        customer_update(actor=bob, customer=bobs_customer, changes={"address": "北京市朝阳区"})
        bobs_customer.refresh_from_db()
        assert bobs_customer.id_number == "11010519491231002X"

    def test_it_writes_nothing_when_nothing_changed(self, bob: Any, bobs_customer: Any) -> None:
        customer_update(actor=bob, customer=bobs_customer, changes={"name": "张三"})
        assert "change" not in audit_actions()

    def test_it_refuses_an_id_already_on_file(self, alice: Any, bobs_customer: Any) -> None:
        other = customer_create(actor=alice, kind="individual", name="李四")
        with pytest.raises(ApplicationError):
            customer_update(
                actor=alice,
                customer=other,
                changes={"id_number": "11010519491231002X"},
                reason="补登",
            )
        other.refresh_from_db()
        assert other.id_number == ""


class TestRelatedPersons:
    def test_it_adds_and_removes_a_related_person_with_audit(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        from dangan.customers.services import related_person_add, related_person_remove

        person = related_person_add(
            actor=bob,
            customer=bobs_customer,
            relation="agent",
            name="李四",
            mobile="139 0013 9000",
            id_number="110101199003074258",
        )
        assert person.mobile == "13900139000"
        assert "110101199003074258" not in person.id_number_encrypted
        related_person_remove(actor=bob, person=person)
        assert not bobs_customer.related_persons.exists()
        assert audit_actions(object_type="customer").count("change") == 2

    def test_it_refuses_a_bad_relation_or_id(self, bob: Any, bobs_customer: Any) -> None:
        from dangan.customers.services import related_person_add

        with pytest.raises(ApplicationError) as exc:
            related_person_add(actor=bob, customer=bobs_customer, relation="friend", name="李四")
        assert exc.value.field == "relation"
        with pytest.raises(ApplicationError) as exc:
            related_person_add(
                actor=bob,
                customer=bobs_customer,
                relation="agent",
                name="李四",
                id_number="110101199003074259",
            )
        assert exc.value.field == "id_number"

    def test_it_hides_customers_of_other_departments(self, dave: Any, bobs_customer: Any) -> None:
        from dangan.core.errors import NotFound
        from dangan.customers.services import related_person_add

        with pytest.raises(NotFound):
            related_person_add(actor=dave, customer=bobs_customer, relation="agent", name="李四")


class TestCustomerUnmask:
    def test_it_reveals_and_records_for_a_permitted_role(
        self, alice: Any, bobs_customer: Any
    ) -> None:
        from dangan.customers.services import customer_unmask

        values = customer_unmask(actor=alice, customer=bobs_customer)
        assert values["id_number"] == "11010519491231002X"
        assert values["mobile"] == "13800138000"
        assert audit_actions(action="unmask") == ["unmask"]

    def test_it_refuses_roles_without_the_permission(
        self, bob: Any, eve: Any, bobs_customer: Any
    ) -> None:
        from dangan.customers.services import customer_unmask

        for actor in (bob, eve):
            with pytest.raises(Forbidden):
                customer_unmask(actor=actor, customer=bobs_customer)
        assert audit_actions(action="unmask") == []


def test_identity_lookup_names_the_hash_column_of_a_whole_id_or_its_tail() -> None:
    from dangan.core import crypto
    from dangan.customers.models import identity_lookup

    number = "11010519491231002X"
    assert identity_lookup(number) == (
        "id_number_lookup",
        crypto.lookup_hash(f"resident_id:{number}"),
    )
    for tail in ("002X", "1002X", "31002X"):
        purpose = f"last{len(tail)}"
        assert identity_lookup(tail) == (
            f"id_{purpose}_lookup",
            crypto.lookup_hash(tail, purpose=purpose),
        )
    assert identity_lookup("02X") is None and identity_lookup("1234567") is None
    assert identity_lookup("X002") is None  # X only as the check character


def test_a_list_query_is_a_search_in_the_audit_trail_once_cut_and_trimmed(
    bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """customers_search (the list page and GET /api/v1/customers/ both call it) records a
    query as one "search" entry, with the filters used (audit_search, as the search box
    does); a list without a query records nothing."""
    from dangan.audit.models import AuditEntry
    from dangan.customers.services import customers_search

    with django_capture_on_commit_callbacks(execute=True):  # its index entry
        mine = customer_create(actor=bob, kind="individual", name="王建国")
    before = AuditEntry.objects.filter(action="search").count()
    assert list(customers_search(actor=bob, filters={})) == [mine]
    assert AuditEntry.objects.filter(action="search").count() == before
    found = customers_search(actor=bob, filters={"q": "  王建国  ", "kind": "", "owner": bob})
    assert list(found) == [mine]
    long = "王" * 500
    assert list(customers_search(actor=bob, filters={"q": long})) == []
    entries = list(AuditEntry.objects.filter(action="search").order_by("seq"))[before:]
    assert [e.detail["q"] for e in entries] == ["王建国", "王" * 200]
    # The filters used go with the query, as the search box's do (an owner by its id).
    assert [e.detail.get("filters") for e in entries] == [{"owner": str(bob.pk)}, None]
    assert {e.actor_id for e in entries} == {bob.pk}
