"""REST API: documents, uploads and downloads (SPEC §4, §6 upload checks)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader
from rest_framework.test import APIClient

from conftest import audit_actions

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(user: Any, dossier: Any, content: bytes, name: str = "scan.pdf", **extra: Any) -> Any:
    data = {
        "dossier": dossier.pk,
        "document_type": "INFO_CARD",
        "title": "客户信息卡",
        "file": SimpleUploadedFile(name, content, "application/pdf"),
        **extra,
    }
    return api(user).post("/api/v1/documents/", data, format="multipart")


def raw_upload(user: Any, dossier: Any, filename: bytes, content: bytes) -> Any:
    """A hand-built multipart body, so the file name reaches the server byte for byte."""
    boundary = b"----dangan-test-boundary"
    parts = [
        b"--" + boundary,
        b'Content-Disposition: form-data; name="dossier"',
        b"",
        str(dossier.pk).encode(),
        b"--" + boundary,
        b'Content-Disposition: form-data; name="document_type"',
        b"",
        b"INFO_CARD",
        b"--" + boundary,
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"',
        b"Content-Type: application/pdf",
        b"",
        content,
        b"--" + boundary + b"--",
        b"",
    ]
    return api(user).generic(
        "POST",
        "/api/v1/documents/",
        b"\r\n".join(parts),
        content_type="multipart/form-data; boundary=" + boundary.decode(),
    )


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    if not root.exists():
        return []
    return [Path(dirpath) / f for dirpath, _dirs, files in os.walk(root) for f in files]


def test_it_stores_an_upload(bob: Any, car_dossier: Any, pdf_bytes: bytes, settings: Any) -> None:
    from dangan.documents.models import Attachment

    response = upload(bob, car_dossier, pdf_bytes)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document_type"] == "INFO_CARD"
    assert body["piece_number"] == 1
    [attachment] = body["attachments"]
    assert attachment["original_name"] == "scan.pdf"
    assert attachment["content_type"] == "application/pdf"
    assert attachment["size"] == len(pdf_bytes)
    stored = Attachment.objects.get(pk=attachment["id"])
    assert [p.read_bytes() for p in stored_files(settings)] == [pdf_bytes]
    assert stored.blob_id == attachment["sha256"]
    assert "create" in audit_actions(object_type="document")


def test_it_stores_the_same_bytes_once(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, settings: Any
) -> None:
    first = upload(bob, car_dossier, pdf_bytes, "a.pdf").json()["attachments"][0]
    second = upload(bob, car_dossier, pdf_bytes, "b.pdf").json()["attachments"][0]
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert len(stored_files(settings)) == 1


def test_it_accepts_a_png(bob: Any, car_dossier: Any, png_bytes: bytes) -> None:
    response = upload(bob, car_dossier, png_bytes, "photo.png")
    assert response.status_code == 201
    assert response.json()["attachments"][0]["content_type"] == "image/png"


def test_it_refuses_an_empty_file(bob: Any, car_dossier: Any, settings: Any) -> None:
    from dangan.documents.models import Document

    response = upload(bob, car_dossier, b"")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_it_refuses_an_oversized_file(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, settings: Any
) -> None:
    from dangan.documents.models import Document

    settings.DANGAN_MAX_UPLOAD_BYTES = 64
    response = upload(bob, car_dossier, pdf_bytes)
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_it_refuses_text_renamed_to_pdf(bob: Any, car_dossier: Any, settings: Any) -> None:
    from dangan.documents.models import Document

    response = upload(bob, car_dossier, b"just some text, not a scan\n" * 10, "fake.pdf")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_it_refuses_html_renamed_to_png(bob: Any, car_dossier: Any) -> None:
    response = upload(bob, car_dossier, b"<html><script>alert(1)</script></html>", "x.png")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "filename", [b"../../etc/passwd.pdf", b"a/b.pdf", b"..\\..\\evil.pdf", b"dir\\x.pdf"]
)
def test_it_never_stores_a_path_from_the_file_name(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, settings: Any, filename: bytes
) -> None:
    """Django's multipart parser already keeps only the last path part of a file name, so
    the service sees e.g. "passwd.pdf". Either way, no stored name may carry a path."""
    from dangan.documents.models import Attachment

    response = raw_upload(bob, car_dossier, filename, pdf_bytes)
    assert response.status_code in (201, 400), response.content
    for name in Attachment.objects.values_list("original_name", flat=True):
        assert "/" not in name
        assert "\\" not in name
        assert ".." not in name
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"]).resolve()
    for path in stored_files(settings):
        assert path.resolve().is_relative_to(root)
        assert path.name != "passwd.pdf"


@pytest.mark.parametrize("filename", [b"a\x01b.pdf", b"bad\x7f.pdf", "a\u202eb.pdf".encode()])
def test_it_never_stores_control_characters_in_names(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, filename: bytes
) -> None:
    """Found: Django's multipart parser already drops control and format characters
    (a\x01b.pdf arrives as "ab.pdf"), so over HTTP the upload succeeds with a clean name;
    the service refuses such names itself (next test) for callers that bypass the parser."""
    import unicodedata

    from dangan.documents.models import Attachment

    response = raw_upload(bob, car_dossier, filename, pdf_bytes)
    assert response.status_code in (201, 400), response.content
    for name in Attachment.objects.values_list("original_name", flat=True):
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)


@pytest.mark.parametrize(
    "name", ["a/b.pdf", "a\\b.pdf", "..", "x\x00.pdf", "a\nb.pdf", "a\x01b.pdf", "a\u202eb.pdf", ""]
)
def test_it_refuses_bad_names_reaching_the_service(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, name: str
) -> None:
    """What the service does with a name the parser let through."""
    from dangan.core.errors import ApplicationError
    from dangan.documents.models import Document
    from dangan.documents.services import document_add

    with pytest.raises(ApplicationError) as caught:
        document_add(
            actor=bob,
            dossier=car_dossier,
            checklist_item=None,
            title="x",
            file_name=name,
            file_chunks=[pdf_bytes],
        )
    assert caught.value.field == "file"
    assert not Document.objects.exists()


def test_it_names_an_unknown_document_type(bob: Any, car_dossier: Any, pdf_bytes: bytes) -> None:
    response = upload(bob, car_dossier, pdf_bytes, document_type="NOPE")
    assert response.status_code == 400
    assert "document_type" in response.json()


def test_it_refuses_an_upload_to_a_hidden_dossier(
    dave: Any, car_dossier: Any, pdf_bytes: bytes, settings: Any
) -> None:
    from dangan.documents.models import Document

    response = upload(dave, car_dossier, pdf_bytes)
    assert response.status_code == 400
    assert "dossier" in response.json()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_it_files_a_document_without_a_scan(bob: Any, car_dossier: Any) -> None:
    response = api(bob).post(
        "/api/v1/documents/",
        {"dossier": car_dossier.pk, "document_type": "OUT_SLIP"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "整车出库单"
    assert response.json()["attachments"] == []


# --- reading and downloading ----------------------------------------------------------


@pytest.fixture
def attachment_id(bob: Any, car_dossier: Any, pdf_bytes: bytes) -> int:
    response = upload(bob, car_dossier, pdf_bytes, "信息卡.pdf")
    assert response.status_code == 201
    return int(response.json()["attachments"][0]["id"])


def test_it_downloads_a_file_and_records_it(
    alice: Any, attachment_id: int, pdf_bytes: bytes
) -> None:
    response = api(alice).get(f"/api/v1/files/{attachment_id}/")
    assert response.status_code == 200
    # A watermarked copy of the scan, never the stored bytes themselves.
    assert response.content.startswith(b"%PDF") and response.content != pdf_bytes
    assert "alice" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "download" in audit_actions(actor_name="alice")


def test_it_hides_a_file_outside_scope(dave: Any, attachment_id: int) -> None:
    response = api(dave).get(f"/api/v1/files/{attachment_id}/")
    assert response.status_code == 404
    assert "download" not in audit_actions()


def test_it_hides_files_from_the_sysadmin(sam: Any, attachment_id: int) -> None:
    assert api(sam).get(f"/api/v1/files/{attachment_id}/").status_code == 404


def test_it_lists_documents_in_scope(bob: Any, dave: Any, attachment_id: int) -> None:
    assert api(bob).get("/api/v1/documents/").json()["count"] == 1
    assert api(dave).get("/api/v1/documents/").json()["count"] == 0


def test_it_shows_a_document(bob: Any, dave: Any, attachment_id: int) -> None:
    from dangan.documents.models import Document

    document = Document.objects.get()
    assert api(bob).get(f"/api/v1/documents/{document.pk}/").status_code == 200
    assert api(dave).get(f"/api/v1/documents/{document.pk}/").status_code == 404
    assert audit_actions(object_type="document", action="view") == ["view"]
