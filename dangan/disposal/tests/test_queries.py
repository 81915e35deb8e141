"""Statement counts of the destruction list's page: it once asked for the business
department's appraisers once per item. The numbers are today's counts: lower them when a
change saves a statement, never raise them without saying why."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import car_fields
from dangan.archives.lifecycle import dossier_transition
from dangan.archives.models import Dossier
from dangan.core.identifiers import make_vin
from dangan.disposal import services
from dangan.disposal.models import DisposalList

pytestmark = pytest.mark.django_db


def _expired(alice: Any, bob: Any, customer: Any, closed_car: Dossier, count: int) -> list[int]:
    """`count` more of Bob's car files, ended in 2011 and so due for destruction."""
    from dangan.archives.services import dossier_create

    rng = random.Random(count)  # noqa: S311 - test data
    made = []
    for _n in range(count):
        dossier = dossier_create(
            actor=bob,
            customer=customer,
            archive_type=closed_car.archive_type,
            fields=car_fields(vin=make_vin(rng)),
        )
        Dossier.objects.filter(pk=dossier.pk).update(retention="D10")
        dossier_transition(
            actor=alice, dossier=dossier, to="terminated", reason="终止", effective="2011-01-01"
        )
        made.append(dossier.pk)
    return made


def _list_page(user: Any, found: DisposalList) -> tuple[str, int]:
    client = Client()
    client.force_login(user)
    path = f"/disposal/lists/{found.pk}/"
    assert client.get(path).status_code == 200  # warm: the menu's badge, compiled SQL
    with CaptureQueriesContext(connection) as counted:
        page = client.get(path)
    assert page.status_code == 200
    return page.content.decode(), len(counted)


def test_the_list_page_asks_the_same_statements_however_many_items(
    closed_car: Dossier, alice: Any, bob: Any, carol: Any, dirk: Any, bobs_customer: Any
) -> None:
    one = services.list_propose(actor=alice, dossiers=[closed_car.pk])
    more = _expired(alice, bob, bobs_customer, closed_car, 6)
    six = services.list_propose(actor=alice, dossiers=more)
    # The director has no part in appraising 销售一部's files (Carol manages it): the page
    # asks of every item whether he may appraise it.
    page, few = _list_page(dirk, one)
    assert "提交鉴定" not in page
    assert few == 11  # 12 before the menu counted its three badges in one statement
    _page, many = _list_page(dirk, six)
    assert many == few  # was one more per item: 17 for six
    page, _count = _list_page(carol, six)
    assert "提交鉴定" in page
