"""Integrity on every read (SPEC C11): a scan whose bytes no longer hash to its name, or
that is gone, is refused with a clear Chinese page or JSON, recorded, and reported to the
system administrators; never a server error, never the damaged bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from dangan.audit.models import AuditEntry
from dangan.circulation.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(bob: Any, car_dossier: Any, pdf_bytes: bytes) -> Any:
    from dangan.documents.services import document_add

    item = car_dossier.archive_type.items.get(code="INFO_CARD")
    document = document_add(
        actor=bob,
        dossier=car_dossier,
        checklist_item=item,
        file_name="客户信息卡.pdf",
        file_chunks=[pdf_bytes],
    )
    return document.attachments.get()


def _path(attachment: Any) -> Path:
    return Path(default_storage.path(attachment.blob.storage_name))


def _damage(attachment: Any) -> bytes:
    path = _path(attachment)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, the size unchanged
    path.write_bytes(bytes(data))
    return bytes(data)


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refusal(attachment: Any) -> AuditEntry:
    entry = AuditEntry.objects.filter(action="download").order_by("-seq").first()
    assert entry is not None and entry.outcome == AuditEntry.Outcome.FAILED
    assert entry.detail["sha256"] == attachment.blob_id
    return entry


def test_it_refuses_a_damaged_scan_with_a_page(alice: Any, sam: Any, attachment: Any) -> None:
    damaged = _damage(attachment)
    response = _login(alice).get(f"/files/{attachment.pk}/")
    assert response.status_code == 409
    assert damaged not in response.content
    assert "文件已损坏" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert _refusal(attachment).detail["reason"] == "damaged"
    note = Notification.objects.get(user=sam)
    assert attachment.blob_id in note.text and "备份" in note.text
    # Asked again the same day: recorded again, the administrators told once.
    assert _login(alice).get(f"/files/{attachment.pk}/?download=1").status_code == 409
    assert Notification.objects.filter(user=sam).count() == 1


def test_it_refuses_a_missing_scan_without_a_server_error(alice: Any, attachment: Any) -> None:
    _path(attachment).unlink()
    response = _login(alice).get(f"/files/{attachment.pk}/")
    assert response.status_code == 409
    assert "文件缺失" in response.content.decode()
    assert _refusal(attachment).detail["reason"] == "missing"


def test_the_api_refuses_a_damaged_scan_with_json(bob: Any, attachment: Any) -> None:
    damaged = _damage(attachment)
    api = APIClient()
    api.force_authenticate(bob)
    response = api.get(f"/api/v1/files/{attachment.pk}/")
    assert response.status_code == 409
    assert damaged not in response.content
    assert "损坏" in response.json()["file"][0]
    assert _refusal(attachment).actor_name == "bob"


def test_a_scan_cut_short_is_damaged_too(alice: Any, attachment: Any) -> None:
    path = _path(attachment)
    path.write_bytes(path.read_bytes()[:-10])
    assert _login(alice).get(f"/files/{attachment.pk}/").status_code == 409


def test_a_whole_scan_is_still_served(alice: Any, attachment: Any) -> None:
    response = _login(alice).get(f"/files/{attachment.pk}/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_verify_names_the_damaged_and_the_missing_file(
    attachment: Any, bob: Any, car_dossier: Any, png_bytes: bytes, capsys: Any
) -> None:
    from dangan import cli
    from dangan.documents.services import document_add

    item = car_dossier.archive_type.items.get(code="INFO_CARD")
    other = document_add(
        actor=bob,
        dossier=car_dossier,
        checklist_item=item,
        file_name="b.png",
        file_chunks=[png_bytes],
    ).attachments.get()
    assert cli.main(["verify"]) == 0
    _damage(attachment)
    _path(other).unlink()
    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"损坏 (damaged) (fixity) sha256={attachment.blob_id}" in out
    assert f"缺失 (missing) (fixity) sha256={other.blob_id}" in out


def test_the_scheduled_check_is_recorded_and_a_failure_notifies_the_admins(
    attachment: Any, sam: Any
) -> None:
    from dangan.verify import FIXITY_ACTION, fixity_due, fixity_run

    assert fixity_due(schedule="weekly") and fixity_due(schedule="daily")
    assert not fixity_due(schedule="off")
    assert fixity_run() is True
    assert not fixity_due(schedule="weekly") and not fixity_due(schedule="daily")
    assert not Notification.objects.filter(user=sam).exists()
    _damage(attachment)
    assert fixity_run() is False
    entry = AuditEntry.objects.filter(action=FIXITY_ACTION).order_by("-seq").first()
    assert entry is not None and entry.outcome == AuditEntry.Outcome.FAILED
    assert entry.detail["bad"] == [{"sha256": attachment.blob_id, "state": "damaged"}]
    assert attachment.blob_id in Notification.objects.get(user=sam).text


def test_a_weekly_check_is_owed_again_after_sunday(attachment: Any) -> None:
    import datetime

    from django.utils import timezone

    from dangan.verify import FIXITY_ACTION, fixity_due, fixity_run

    fixity_run()
    entry = AuditEntry.objects.get(action=FIXITY_ACTION)
    later = entry.at + datetime.timedelta(days=8)
    assert fixity_due(schedule="weekly", now=later)
    assert not fixity_due(schedule="weekly", now=entry.at + datetime.timedelta(minutes=1))
    assert fixity_due(
        schedule="daily", now=timezone.localtime(entry.at) + datetime.timedelta(days=1, hours=4)
    )
