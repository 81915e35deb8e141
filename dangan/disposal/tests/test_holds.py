"""A legal hold on a customer (issue 24 item 5): every dossier it can freeze is frozen and
none goes onto a destruction list while it stands; releasing it returns each dossier to
its state; bad input changes nothing and is on the record."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dangan.archives.models import Dossier
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.disposal import holds, selectors, services
from dangan.disposal.models import CustomerHold

pytestmark = pytest.mark.django_db


def test_a_hold_freezes_the_customers_files_and_release_returns_them(
    alice: Any, bob: Any, closed_car: Dossier, bobs_customer: Any
) -> None:
    assert [d.dossier.pk for d in selectors.due_list(alice)] == [closed_car.pk]
    hold = holds.customer_hold(actor=alice, customer=bobs_customer, reason="合同纠纷诉讼中")
    closed_car.refresh_from_db()
    assert closed_car.status == "legal_hold" and hold.dossiers == [closed_car.pk]
    assert selectors.due_list(alice) == []
    with pytest.raises(InvalidTransition, match="已冻结"):
        services.list_propose(actor=alice, dossiers=[closed_car.pk], reason="期满")
    with pytest.raises(InvalidTransition):
        holds.customer_hold(actor=alice, customer=bobs_customer, reason="再冻结一次")

    # A dossier back from elsewhere while the hold stands is still kept off the lists.
    Dossier.objects.filter(pk=closed_car.pk).update(status="terminated")
    with pytest.raises(InvalidTransition, match="已冻结"):
        services.list_propose(actor=alice, dossiers=[closed_car.pk], reason="期满")
    Dossier.objects.filter(pk=closed_car.pk).update(status="legal_hold")

    holds.customer_release(actor=alice, customer=bobs_customer, reason="诉讼已结案")
    closed_car.refresh_from_db()
    assert closed_car.status == "terminated"
    assert [d.dossier.pk for d in selectors.due_list(alice)] == [closed_car.pk]
    actions = list(
        AuditEntry.objects.filter(action__in=["customer_hold", "customer_release"])
        .order_by("seq")
        .values_list("action", "outcome")
    )
    assert ("customer_hold", "success") in actions and ("customer_release", "success") in actions


def test_bad_holds_change_nothing(
    alice: Any, bob: Any, closed_car: Dossier, bobs_customer: Any
) -> None:
    with pytest.raises(ApplicationError) as caught:
        holds.customer_hold(actor=alice, customer=bobs_customer, reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(Forbidden):
        holds.customer_hold(actor=bob, customer=bobs_customer, reason="我来冻结")
    with pytest.raises(InvalidTransition):
        holds.customer_release(actor=alice, customer=bobs_customer, reason="没有冻结")
    closed_car.refresh_from_db()
    assert closed_car.status == "terminated" and not CustomerHold.objects.exists()
    assert AuditEntry.objects.filter(action="customer_hold", outcome="failed").exists()


def test_holds_through_the_api_and_the_customer_page(
    alice: Any, closed_car: Dossier, bobs_customer: Any
) -> None:
    api = APIClient()
    api.force_authenticate(alice)
    url = f"/api/v1/customers/{bobs_customer.pk}/legal-hold/"
    assert api.get(url).json() == {"held": False}
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    placed = api.post(url, {"reason": "保全证据"}, format="json")
    assert placed.status_code == 201 and placed.json()["dossiers"] == [closed_car.pk]
    assert api.post(url, {"reason": "又一次"}, format="json").status_code == 409
    page = Client()
    page.force_login(alice)
    shown = page.get(f"/customers/{bobs_customer.pk}/").content.decode()
    assert "已冻结" in shown and "保全证据" in shown and "解除冻结" in shown
    released = page.post(
        f"/disposal/customers/{bobs_customer.pk}/hold/",
        {"reason": "诉讼已结案", "release": "1"},
        follow=True,
    )
    assert "已解除冻结" in released.content.decode()
    assert api.get(url).json()["held"] is False
    closed_car.refresh_from_db()
    assert closed_car.status == "terminated"
