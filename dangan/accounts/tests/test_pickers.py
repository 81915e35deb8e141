"""Person pickers list only people whose role may hold the thing (issue 29): owners of
customers, borrowers, hand-over receivers; the services refuse anyone else."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import _user
from dangan.accounts import policy
from dangan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(sam: Any, ada: Any) -> list[Any]:
    return [sam, ada, _user("sec", "security_admin", "", "安全员")]


def names(users: Any) -> set[str]:
    return {u.username for u in users}


def test_owner_and_borrower_pickers_leave_out_the_three_officers(
    officers: list[Any], alice: Any, bob: Any, carol: Any
) -> None:
    officer_names = names(officers)
    for what in (policy.OWNER, policy.BORROWER, policy.RECEIVER):
        people = names(policy.people_who_may_hold(what))
        assert not people & officer_names, what
        assert {"bob", "carol"} <= people
    assert not names(policy.assignable_owners(alice)) & officer_names
    assert "bob" in names(policy.assignable_owners(alice))


def test_the_customer_form_offers_only_possible_owners(officers: list[Any], alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    html = client.get("/customers/new/").content.decode()
    select = re.search(r'<select name="owner".*?</select>', html, re.S)
    assert select is not None
    for officer in officers:
        assert f'value="{officer.pk}"' not in select.group(0)
    assert f'value="{alice.pk}"' in select.group(0)


def test_the_lend_form_offers_only_possible_borrowers(
    officers: list[Any], alice: Any, bob: Any
) -> None:
    from dangan.circulation.forms import LendForm

    choices = names(LendForm().fields["borrower"].queryset)  # type: ignore[attr-defined]
    assert "bob" in choices
    assert not choices & names(officers)


def test_the_services_refuse_an_officer_as_borrower_successor_or_receiver(
    officers: list[Any], alice: Any, bob: Any, carol: Any, car_dossier: Any
) -> None:
    from dangan.circulation.lending import loan_create
    from dangan.handover.services import handover_create, handover_departure

    sam = officers[0]
    due = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(ApplicationError) as lent:
        loan_create(actor=alice, dossier=car_dossier, borrower=sam, due=due)
    assert lent.value.field == "borrower"
    with pytest.raises(ApplicationError) as left:
        handover_departure(actor=carol, from_user=bob, to_user=sam)
    assert left.value.field == "to_user"
    with pytest.raises(ApplicationError) as sent:
        handover_create(actor=bob, dossier_ids=[car_dossier.pk], to_user=officers[1])
    assert sent.value.field == "to_user"
