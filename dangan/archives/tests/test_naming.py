"""The customer's current name everywhere (issue 23 §7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dangan.archives.models import Dossier
from dangan.audit.models import AuditEntry
from dangan.customers.services import customer_update

pytestmark = pytest.mark.django_db


def test_it_shows_the_new_name_on_the_dossier_after_a_rename(
    client: Client, alice: Any, bob: Any, bobs_customer: Any, car_dossier: Dossier
) -> None:
    assert car_dossier.title == "张三 汽车销售档案"
    own_title = Dossier.objects.filter(pk=car_dossier.pk)
    customer_update(
        actor=alice, customer=bobs_customer, changes={"name": "张三丰"}, reason="客户更名"
    )
    assert own_title.get().title == "张三丰 汽车销售档案"
    entry = AuditEntry.objects.filter(action="change", object_type="customer").last()
    assert entry is not None and entry.detail["dossier_titles"] == [car_dossier.pk]
    # 张三丰 is not 张三 followed by more: a second rename replaces the whole name.
    customer_update(
        actor=alice, customer=bobs_customer, changes={"name": "张三"}, reason="客户更名"
    )
    assert own_title.get().title == "张三 汽车销售档案"
    client.force_login(bob)
    customer_update(
        actor=alice, customer=bobs_customer, changes={"name": "张叁"}, reason="客户更名"
    )
    page = client.get(reverse("archives:dossier", kwargs={"pk": car_dossier.pk})).content
    assert "张叁 汽车销售档案" in page.decode() and "张三 汽车" not in page.decode()
    found = client.get(reverse("api:search"), {"q": "张叁"}).json()
    assert car_dossier.archive_number in str(found)


def test_it_leaves_a_title_of_the_clerks_own_making(
    alice: Any, bobs_customer: Any, car_dossier: Dossier
) -> None:
    Dossier.objects.filter(pk=car_dossier.pk).update(title="张三丰田车档案")
    customer_update(
        actor=alice, customer=bobs_customer, changes={"name": "李四"}, reason="客户更名"
    )
    assert Dossier.objects.get(pk=car_dossier.pk).title == "张三丰田车档案"
