"""HTML view of scans: inline view and download, only within scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import audit_actions

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


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


def test_it_shows_a_scan_inline_to_the_archivist(
    alice: Any, attachment: Any, pdf_bytes: bytes
) -> None:
    response = login(alice).get(f"/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF") and response.content != pdf_bytes
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "download" in audit_actions(actor_name="alice")


def test_it_downloads_a_scan_as_attachment(alice: Any, attachment: Any) -> None:
    response = login(alice).get(f"/files/{attachment.pk}/", {"download": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename" in response["Content-Disposition"]


def test_it_hides_a_scan_from_another_department(dave: Any, attachment: Any) -> None:
    response = login(dave).get(f"/files/{attachment.pk}/")
    assert response.status_code == 404
    assert "download" not in audit_actions()


def test_it_hides_a_missing_scan_the_same_way(alice: Any, attachment: Any) -> None:
    assert login(alice).get("/files/999999/").status_code == 404


def test_it_requires_login_for_scans(client: Client, attachment: Any) -> None:
    response = client.get(f"/files/{attachment.pk}/")
    assert response.status_code == 302
    assert "download" not in audit_actions()
