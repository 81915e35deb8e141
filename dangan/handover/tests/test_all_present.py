"""全部齐全: one click per bag or per batch instead of one per line — one service call,
recorded like the per-line checks; lines already found missing stay missing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import audit_actions
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError, Forbidden
from dangan.handover.models import Handover, HandoverItem, HandoverLine
from dangan.handover.services import handover_verify

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_marks_every_unchecked_line_present_and_keeps_a_missing_one(
    batch: Handover, alice: Any
) -> None:
    item = batch.items.get()
    first = item.lines.order_by("position", "id").first()
    assert first is not None
    handover_verify(
        actor=alice,
        handover=batch,
        results={item.pk: {first.code: ("missing", "缺")}},
        all_present=True,
    )
    results = dict(item.lines.values_list("code", "result"))
    assert results.pop(first.code) == "missing"
    assert results and set(results.values()) == {"present"}
    assert HandoverItem.objects.get(pk=item.pk).status == HandoverItem.Status.REJECTED
    entry = AuditEntry.objects.filter(action="verify").get()
    assert len(entry.detail["lines"][item.dossier.archive_number]) == item.lines.count()


def test_it_leaves_earlier_findings_alone(batch: Handover, alice: Any) -> None:
    item = batch.items.get()
    first = item.lines.order_by("position", "id").first()
    assert first is not None
    handover_verify(actor=alice, handover=batch, results={item.pk: {first.code: ("wrong", "")}})
    handover_verify(actor=alice, handover=batch, results={}, all_present=[item.pk])
    assert HandoverLine.objects.get(pk=first.pk).result == "wrong"
    assert not item.lines.filter(result="").exists()
    with pytest.raises(ApplicationError):  # nothing left to check
        handover_verify(actor=alice, handover=batch, results={}, all_present=[item.pk])


def test_it_refuses_the_sender_and_records_the_refusal(batch: Handover, bob: Any) -> None:
    with pytest.raises(Forbidden):
        handover_verify(actor=bob, handover=batch, results={}, all_present=True)
    assert not HandoverLine.objects.exclude(result="").exists()
    assert audit_actions(action="verify", outcome="denied") == ["verify"]


def test_it_refuses_a_bag_of_another_batch(batch: Handover, alice: Any) -> None:
    with pytest.raises(ApplicationError):
        handover_verify(actor=alice, handover=batch, results={}, all_present=[999999])


def test_the_page_offers_it_per_bag_and_per_batch_and_says_so_at_once(
    batch: Handover, alice: Any
) -> None:
    alices = client_for(alice)
    page = alices.get(f"/handover/{batch.pk}/").content.decode()
    item = batch.items.get()
    assert f'name="all_present" value="{item.pk}"' in page
    assert 'name="all_present" value="all"' in page and "整批全部齐全" in page
    response = alices.post(
        f"/handover/{batch.pk}/verify/", {"all_present": "all"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    # The confirmation comes with the fragment (out of band), not on the next page.
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html and "核对结果已保存" in html
    assert not item.lines.filter(result="").exists()
    assert "核对结果已保存" not in alices.get(f"/handover/{batch.pk}/").content.decode()
