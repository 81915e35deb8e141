from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet

from conftest import grant_in_force
from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role
from dangan.core.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    alice: Any,
    bob: Any,
    carol: Any,
    dave: Any,
    eve: Any,
    sam: Any,
    ada: Any,
    bobs_customer: Any,
    daves_customer: Any,
    frank: Any,
) -> dict[str, Any]:
    return locals()


@pytest.fixture
def frank(db: Any) -> Any:
    """Customer service: every customer, dossiers up to 秘密."""
    from conftest import _user

    return _user("frank", "customer_service", "销售二部", "吴刚")


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("alice", {"bob", "dave"}),  # archivist: all
        ("bob", {"bob"}),  # account manager: own
        ("carol", {"bob"}),  # department manager of 销售一部
        ("dave", {"dave"}),
        ("eve", {"bob", "dave"}),  # business staff: all, but field-limited
        ("sam", set()),  # system admin: no customer data at all
        ("ada", set()),  # auditor: audit trail only
    ],
)
def test_it_limits_customers_to_the_scope(
    world: dict[str, Any], persona: str, sees: set[str]
) -> None:
    visible = {c.owner.username for c in policy.customers_for(world[persona])}
    assert visible == sees
    # sees_all_customers (the search skips its checks on it) says the same.
    assert policy.sees_all_customers(world[persona]) == (sees == {"bob", "dave"})
    # customers_hidden (its check of candidates) hides none from them, asks for the rest.
    hidden = policy.customers_hidden(world[persona], [world["bobs_customer"].pk])
    assert hidden == (set() if sees == {"bob", "dave"} else None)
    # sees_customer (the same question with no query, for many users at once) agrees.
    for customer in (world["bobs_customer"], world["daves_customer"]):
        assert policy.sees_customer(world[persona], customer) == (customer.owner.username in sees)


def test_it_sees_nothing_for_anonymous_or_inactive_users(world: dict[str, Any]) -> None:
    assert not policy.customers_for(AnonymousUser()).exists()
    assert not policy.sees_all_customers(AnonymousUser())
    alice = world["alice"]
    alice.is_active = False
    alice.save()
    assert not policy.customers_for(alice).exists()
    assert not policy.sees_all_customers(alice)
    assert not policy.sees_customer(alice, world["bobs_customer"])
    assert not policy.sees_customer(AnonymousUser(), world["bobs_customer"])


def test_it_answers_missing_and_forbidden_alike(world: dict[str, Any]) -> None:
    with pytest.raises(NotFound) as forbidden:
        policy.access_customer(world["dave"], world["bobs_customer"].pk)
    with pytest.raises(NotFound) as missing:
        policy.access_customer(world["dave"], 987654)
    with pytest.raises(NotFound):
        policy.access_customer(world["dave"], "1 OR 1=1")
    assert str(forbidden.value) == str(missing.value)


def test_it_refuses_an_action_without_its_permission(world: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        policy.access_customer(world["carol"], world["bobs_customer"].pk, action=perms.USER_MANAGE)


def test_it_masks_identity_for_roles_without_need(world: dict[str, Any]) -> None:
    customer = world["bobs_customer"]
    assert policy.shown_id_number(world["bob"], customer) == "110105********002X"
    assert policy.shown_mobile(world["bob"], customer.mobile) == "138****8000"
    # Masked by default for everyone (STANDARDS 33); the archivist may reveal on purpose.
    assert policy.shown_id_number(world["alice"], customer) == "110105********002X"
    assert policy.can_unmask(world["alice"]) and not policy.can_unmask(world["bob"])


def test_it_reads_roles_as_data(world: dict[str, Any]) -> None:
    Role.objects.filter(code="account_manager").update(scope="all")
    bob = type(world["bob"]).objects.get(pk=world["bob"].pk)
    assert {c.owner.username for c in policy.customers_for(bob)} == {"bob", "dave"}


def test_it_ships_the_nine_roles_of_the_spec() -> None:
    assert set(Role.objects.values_list("code", flat=True)) >= set(perms.ROLE_CODES)
    sysadmin = Role.objects.get(code="sysadmin")
    assert perms.CUSTOMER_VIEW not in sysadmin.permissions


def test_it_limits_business_staff_to_name_and_title(world: dict[str, Any]) -> None:
    assert policy.customer_fields_for(world["eve"]) == policy.LIMITED_CUSTOMER_FIELDS
    assert policy.customer_fields_for(world["bob"]) is None
    assert not policy.dossiers_for(world["eve"]).exists()


def test_it_adds_up_roles_so_a_second_role_lifts_the_limit(world: dict[str, Any]) -> None:
    eve = world["eve"]
    eve.roles.add(Role.objects.get(code="account_manager"))
    eve = type(eve).objects.get(pk=eve.pk)
    assert policy.customer_fields_for(eve) is None


class TestConfidentialityAndGrants:
    @pytest.fixture
    def secret_dossier(self, world: dict[str, Any], car_dossier: Any) -> Any:
        car_dossier.confidentiality = "top_secret"
        car_dossier.save()
        return car_dossier

    def test_it_hides_dossiers_above_the_clearance(
        self, world: dict[str, Any], secret_dossier: Any
    ) -> None:
        assert not policy.dossiers_for(world["carol"]).exists()  # up to 机密
        assert not policy.dossiers_for(world["frank"]).exists()  # up to 秘密
        with pytest.raises(NotFound):
            policy.access_dossier(world["carol"], secret_dossier.pk)
        # Issue 27 §4: a 密级 never hides a dossier from its customer's account manager,
        # nor from the archive room, which keeps the bag (the archivist reads up to 机密).
        assert policy.access_dossier(world["bob"], secret_dossier.pk) == secret_dossier
        assert policy.access_dossier(world["alice"], secret_dossier.pk) == secret_dossier

    def test_dossiers_hidden_names_what_dossiers_for_leaves_out(
        self, world: dict[str, Any], secret_dossier: Any, templates: Any
    ) -> None:
        from dangan.archives.services import dossier_create
        from dangan.core.bulk import id_list

        plain = dossier_create(
            actor=world["dave"],
            customer=world["daves_customer"],
            archive_type=templates["ENT-CREDIT"],
            fields={"credit_rating": "A"},
        )
        ids = [secret_dossier.pk, plain.pk]
        for persona, user in world.items():
            if not hasattr(user, "roles"):
                continue
            for action in (perms.DOSSIER_VIEW, perms.DOCUMENT_VIEW):
                hidden = policy.dossiers_hidden(user, ids, action=action)
                if not policy.sees_all_customers(user):
                    assert hidden is None, persona  # scoped: dossiers_for must be asked
                if hidden is None:
                    continue
                shown = set(policy.dossiers_for(user, action=action).values_list("pk", flat=True))
                assert hidden == set(ids) - shown, persona
        assert policy.dossiers_hidden(world["alice"], ids) == set()  # the archive room
        frank = world["frank"]
        assert policy.dossiers_hidden(frank, ids) == {secret_dossier.pk}  # up to 秘密
        # The search hands the ids over as one parameter (an id-list subquery).
        assert policy.dossiers_hidden(frank, id_list(ids)) == {secret_dossier.pk}
        assert policy.dossiers_hidden(frank, []) == set()
        grant_in_force(frank, secret_dossier)
        assert policy.dossiers_hidden(frank, ids) == set()

    def test_dossiers_for_agrees_when_handed_the_grants_read_already(
        self, world: dict[str, Any], secret_dossier: Any
    ) -> None:
        """dossiers_for(actor, granted=…), given what granted_dossiers read (as the search
        does), holds the same dossiers as with the grants' subquery, for every persona
        and both codes, and asks no grants itself."""
        grant_in_force(world["alice"], secret_dossier)  # above her clearance: by the grant
        grant_in_force(world["dave"], secret_dossier, action="copy")  # not his customer
        for persona, user in world.items():
            if not hasattr(user, "roles"):
                continue
            opened = policy.granted_dossiers(user)
            for action in (perms.DOSSIER_VIEW, perms.DOCUMENT_VIEW, perms.FILE_DOWNLOAD):
                asked = policy.dossiers_for(user, action=action)
                listed = policy.dossiers_for(
                    user, action=action, granted=opened.get(action, frozenset())
                )
                try:
                    sql = str(listed.query)
                except EmptyResultSet:  # nothing can match: no statement at all
                    sql = ""
                assert "accounts_grant" not in sql, persona
                assert set(listed.values_list("pk", flat=True)) == set(
                    asked.values_list("pk", flat=True)
                ), (persona, action)
        alice = world["alice"]
        granted = policy.granted_dossiers(alice)[perms.DOSSIER_VIEW]
        assert policy.dossiers_for(alice, granted=granted).filter(pk=secret_dossier.pk).exists()

    def test_dossier_counts_of_listed_customers_agree_with_dossiers_for(
        self, world: dict[str, Any], secret_dossier: Any
    ) -> None:
        from dangan.customers.selectors import with_dossier_count

        grant_in_force(world["alice"], secret_dossier)  # above alice's clearance, granted
        for persona, user in world.items():
            if not hasattr(user, "roles"):
                continue
            visible = policy.dossiers_for(user)
            for customer in with_dossier_count(user, policy.customers_for(user)):
                expected = visible.filter(customer=customer).count()
                assert customer.dossier_count == expected, (persona, customer.name)
        counted = with_dossier_count(world["alice"], policy.customers_for(world["alice"]))
        assert counted.get(pk=secret_dossier.customer_id).dossier_count == 1

    def test_it_opens_a_dossier_for_the_period_of_a_grant(
        self, world: dict[str, Any], secret_dossier: Any
    ) -> None:
        import datetime

        from django.utils import timezone

        now = timezone.now()
        dave = world["dave"]
        grant = grant_in_force(dave, secret_dossier)
        assert policy.access_dossier(dave, secret_dossier.pk) == secret_dossier
        with pytest.raises(Forbidden):  # a view grant does not allow downloads
            policy.access_dossier(dave, secret_dossier.pk, action=perms.FILE_DOWNLOAD)
        grant.starts_at = now - datetime.timedelta(minutes=2)
        grant.expires_at = now - datetime.timedelta(seconds=1)
        grant.save()
        with pytest.raises(NotFound):
            policy.access_dossier(dave, secret_dossier.pk)


def test_holds_office_asks_the_role_and_the_department_of_a_chain_s_step(
    carol: Any, dave: Any, alice: Any
) -> None:
    sales_one = carol.department_id  # carol manages 销售一部; dave is in 销售二部
    assert policy.holds_office(carol, "dept_manager", sales_one)
    assert policy.holds_office(carol, "dept_manager", None)  # any department's manager
    assert not policy.holds_office(carol, "dept_manager", dave.department_id)
    assert not policy.holds_office(carol, "archivist", None)
    assert policy.holds_office(alice, "archivist", None)
    assert not policy.holds_office(AnonymousUser(), "archivist", None)
    carol.is_active = False
    assert not policy.holds_office(carol, "dept_manager", sales_one)


def test_office_holders_are_those_who_hold_the_office(
    bob: Any, carol: Any, dave: Any, alice: Any
) -> None:
    everyone = [bob, carol, dave, alice]
    for role, department in (
        ("dept_manager", carol.department_id),
        ("dept_manager", dave.department_id),
        ("dept_manager", None),
        ("archivist", None),
        ("account_manager", None),
    ):
        holders = set(policy.office_holders(role, department))
        assert holders == {u for u in everyone if policy.holds_office(u, role, department)}
    assert set(policy.office_holders("dept_manager", None)) == {carol}
