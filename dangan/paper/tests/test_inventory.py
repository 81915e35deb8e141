"""An inventory round end to end through the API: start it over a cabinet, scan labels as
a USB scanner types them and as the QR code reads, close it, read the report, correct a
misplaced dossier in one click; bad input answers with a clear message, changes nothing
and is on the record."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import car_fields
from dangan.archives.models import Dossier
from dangan.archives.services import dossier_create
from dangan.audit.models import AuditEntry
from dangan.locations import services as places
from dangan.paper.labels import qr_payload
from dangan.paper.models import Discrepancy, Scan
from dangan.paper.tests.pdfcheck import all_fonts_embedded, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(alice: Any, templates: Any, bobs_customer: Any) -> dict[str, Any]:
    import random

    from dangan.core.identifiers import make_vin

    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    hall = places.location_create(actor=alice, kind="room", name="档案室A")
    cabinet = places.location_create(actor=alice, kind="cabinet", name="03", parent=hall)
    other = places.location_create(actor=alice, kind="cabinet", name="14", parent=hall)
    made = {}
    for name, node in [
        ("found", cabinet),
        ("missing", cabinet),
        ("on_loan", cabinet),
        ("elsewhere", other),
        ("destroyed", other),
    ]:
        dossier = dossier_create(
            actor=alice,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(vin=make_vin(rng)),
        )
        places.dossier_relocate(actor=alice, dossier=dossier, location={"node": node.pk})
        made[name] = dossier
    Dossier.objects.filter(pk=made["on_loan"].pk).update(status=Dossier.Status.ON_LOAN)
    Dossier.objects.filter(pk=made["destroyed"].pk).update(status=Dossier.Status.DESTROYED)
    return {"cabinet": cabinet, "other": other, **made}


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def numbers(payload: dict[str, Any], key: str) -> list[str]:
    return [item["archive_number"] for item in payload[key]["items"]]


def test_it_runs_a_round_over_a_cabinet_from_scan_to_report(
    alice: Any, room: dict[str, Any]
) -> None:
    client = api(alice)
    started = client.post(
        "/api/v1/inventories/", {"location": room["cabinet"].pk, "note": "月度核对"}, format="json"
    )
    assert started.status_code == 201, started.content
    round_id = started.json()["id"]
    assert started.json()["missing"]["count"] == 2  # found-to-be and missing; one is on loan
    listed = client.get("/api/v1/inventories/?limit=1").json()  # a page, as every list
    assert listed["count"] == 1 and listed["results"][0]["id"] == round_id
    assert listed["results"][0]["scope"] == started.json()["scope"]
    scan = f"/api/v1/inventories/{round_id}/scan/"

    found = client.post(scan, {"text": room["found"].archive_number + "\r\n"}, format="json")
    assert found.status_code == 200 and found.json()["outcome"] == "found"
    assert found.json()["counts"]["found"] == 1

    twice = client.post(scan, {"text": qr_payload(room["found"].archive_number)}, format="json")
    assert twice.status_code == 400
    assert "不重复计数" in twice.json()["text"][0]

    elsewhere = client.post(
        scan, {"text": qr_payload(room["elsewhere"].archive_number)}, format="json"
    )
    assert elsewhere.json()["outcome"] == "misplaced"
    assert "14柜" in elsewhere.json()["message"]

    foreign = client.post(scan, {"text": "DANGAN:00000000:20260101"}, format="json")
    assert foreign.status_code == 400 and "另一套" in foreign.json()["text"][0]
    destroyed = client.post(scan, {"text": room["destroyed"].archive_number}, format="json")
    assert destroyed.status_code == 400 and "已销毁" in destroyed.json()["text"][0]
    unknown = client.post(scan, {"text": "XX-0001"}, format="json")
    assert unknown.json()["outcome"] == "unknown"
    assert Scan.objects.filter(round_id=round_id).count() == 3  # refusals stored nothing
    refusals = AuditEntry.objects.filter(action="inventory_scan", outcome="failed")
    assert refusals.count() == 3

    closed = client.post(f"/api/v1/inventories/{round_id}/close/")
    assert closed.status_code == 200
    result = closed.json()
    assert numbers(result, "found") == [room["found"].archive_number]
    assert numbers(result, "missing") == [room["missing"].archive_number]
    assert numbers(result, "misplaced") == [room["elsewhere"].archive_number]
    assert numbers(result, "on_loan") == [room["on_loan"].archive_number]
    assert numbers(result, "unknown") == ["XX-0001"]
    assert result["unknown"]["items"][0]["id"] is None
    assert result["misplaced"]["items"][0]["id"] == room["elsewhere"].pk
    kinds = sorted(Discrepancy.objects.filter(round_id=round_id).values_list("kind", flat=True))
    assert kinds == ["misplaced", "missing", "unknown"]

    again = client.post(f"/api/v1/inventories/{round_id}/close/")
    assert again.status_code == 409
    assert AuditEntry.objects.filter(action="inventory_close", outcome="denied").count() == 1
    late = client.post(scan, {"text": room["missing"].archive_number}, format="json")
    assert late.status_code == 409

    report = client.get(f"/api/v1/inventories/{round_id}/report.pdf")
    assert report.status_code == 200
    text = text_of(report.content)
    assert "盘点报告" in text and room["missing"].archive_number in text and "XX-0001" in text
    assert all_fonts_embedded(report.content)
    entry = AuditEntry.objects.get(action="inventory_close", outcome="success")
    assert entry.detail["report_sha256"] == hashlib.sha256(report.content).hexdigest()

    corrected = client.post(
        f"/api/v1/inventories/{round_id}/correct/",
        {"dossier": room["elsewhere"].pk},
        format="json",
    )
    assert corrected.status_code == 200, corrected.content
    room["elsewhere"].refresh_from_db()
    assert room["elsewhere"].location_node == room["cabinet"]
    task = Discrepancy.objects.get(round_id=round_id, kind="misplaced")
    assert task.status == "resolved"


def test_it_keeps_inventory_to_the_archive_room(alice: Any, bob: Any, room: dict[str, Any]) -> None:
    refused = api(bob).post("/api/v1/inventories/", {"location": room["cabinet"].pk}, format="json")
    assert refused.status_code == 403
    started = api(alice).post(
        "/api/v1/inventories/", {"location": room["cabinet"].pk}, format="json"
    )
    round_id = started.json()["id"]
    assert api(bob).get(f"/api/v1/inventories/{round_id}/").status_code == 404
    answer = api(bob).post(f"/api/v1/inventories/{round_id}/scan/", {"text": "1"}, format="json")
    assert answer.status_code == 404
    assert not Scan.objects.exists()
    bad = api(alice).post("/api/v1/inventories/", {"note": "无范围"}, format="json")
    assert bad.status_code == 400 and "location" in bad.json()


def test_it_prints_a_cabinets_lists_and_labels(alice: Any, room: dict[str, Any]) -> None:
    client = api(alice)
    cabinet = room["cabinet"]
    listing = client.get(f"/api/v1/locations/{cabinet.pk}/print/cabinet.pdf")
    assert listing.status_code == 200
    text = text_of(listing.content)
    assert "档案柜文件清单" in text and "档案室A › 03柜" in text
    assert room["found"].archive_number in text and room["elsewhere"].archive_number not in text
    storage = client.get(f"/api/v1/locations/{room['other'].pk}/print/storage.pdf")
    assert "文件资料存储清单" in text_of(storage.content)
    labels = client.get(f"/api/v1/locations/{cabinet.parent_id}/print/labels.pdf")
    assert "03柜" in text_of(labels.content) and "14柜" in text_of(labels.content)
    for pdf in (listing.content, storage.content, labels.content):
        assert all_fonts_embedded(pdf)
    prints = AuditEntry.objects.filter(action="print", object_type="location")
    assert prints.count() == 3
    assert api_refused(room)


def api_refused(room: dict[str, Any]) -> bool:
    from dangan.accounts.models import User

    bob = User.objects.get(username="bob")
    answer = api(bob).get(f"/api/v1/locations/{room['cabinet'].pk}/print/cabinet.pdf")
    return answer.status_code == 403


def test_it_prints_the_years_catalogue_of_terminated_and_moved_out(
    alice: Any, room: dict[str, Any]
) -> None:
    from django.utils import timezone

    from dangan.core.display import retention_label

    Dossier.objects.filter(pk=room["missing"].pk).update(status=Dossier.Status.TERMINATED)
    year = timezone.localdate().year
    response = api(alice).get(f"/api/v1/catalogues/{year}/closed.pdf")
    assert response.status_code == 200
    text = text_of(response.content)
    assert "终止及迁出档案目录" in text and room["missing"].archive_number in text
    assert room["found"].archive_number not in text
    retention = Dossier.objects.get(pk=room["missing"].pk).retention
    assert retention_label(retention) in text  # 定期30年 / 永久, not the stored code
    assert f" {retention} " not in f" {text} ".replace("\n", " ")
    from dangan.accounts.models import User

    outsider = User.objects.create_user(username="nobody", password="x")
    assert api(outsider).get(f"/api/v1/catalogues/{year}/closed.pdf").status_code == 403


def test_the_tasks_a_round_leaves_are_resolved_with_what_was_done(
    alice: Any, bob: Any, room: dict[str, Any]
) -> None:
    client = api(alice)
    round_id = client.post(
        "/api/v1/inventories/", {"location": room["cabinet"].pk}, format="json"
    ).json()["id"]
    for text in ("XX-9", room["found"].archive_number):
        client.post(f"/api/v1/inventories/{round_id}/scan/", {"text": text}, format="json")
    closed = client.post(f"/api/v1/inventories/{round_id}/close/").json()
    tasks = {task["kind"]: task for task in closed["tasks"]}
    assert sorted(task["kind"] for task in closed["tasks"]) == ["missing", "unknown"]
    assert tasks["missing"]["status"] == "open"
    resolve = f"/api/v1/inventories/{round_id}/tasks/{tasks['missing']['id']}/resolve/"

    blank = client.post(resolve, {"resolution": "  "}, format="json")
    assert blank.status_code == 400 and "resolution" in blank.json()
    assert api(bob).post(resolve, {"resolution": "找到了"}, format="json").status_code == 404
    done = client.post(resolve, {"resolution": "已在 05 柜找到并放回"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "resolved"
    again = client.post(resolve, {"resolution": "再处理一次"}, format="json")
    assert again.status_code == 409
    task = Discrepancy.objects.get(pk=tasks["missing"]["id"])
    assert task.resolution == "已在 05 柜找到并放回" and task.resolved_by == alice
    entry = AuditEntry.objects.get(action="discrepancy_resolve", outcome="success")
    assert entry.detail["resolution"] == "已在 05 柜找到并放回"
    assert AuditEntry.objects.filter(action="discrepancy_resolve", outcome="denied").exists()

    from django.test import Client

    page = Client()
    page.force_login(alice)
    posted = page.post(
        f"/inventory/{round_id}/tasks/{tasks['unknown']['id']}/resolve/",
        {"resolution": "旧系统标签,已换新标签"},
        follow=True,
    )
    assert posted.status_code == 200 and "差异已处理" in posted.content.decode()
    assert "旧系统标签,已换新标签" in posted.content.decode()
    assert not Discrepancy.objects.filter(round_id=round_id, status="open").exists()
