from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from conftest import audit_actions, grant_in_force
from dangan.core.errors import ApplicationError, NotFound
from dangan.documents import services, storage
from dangan.documents.models import Attachment, Blob, Document

pytestmark = pytest.mark.django_db


def add(
    actor: Any, dossier: Any, data: bytes | None, name: str = "扫描件.pdf", **kw: Any
) -> Document:
    return services.document_add(
        actor=actor,
        dossier=dossier,
        checklist_item=kw.pop("item", dossier.archive_type.items.first()),
        file_name=name,
        file_chunks=None if data is None else [data],
        **kw,
    )


class TestDocumentAdd:
    def test_it_stores_a_scan_under_its_sha256(
        self, bob: Any, car_dossier: Any, pdf_bytes: bytes
    ) -> None:
        document = add(bob, car_dossier, pdf_bytes)
        attachment = document.attachments.get()
        assert attachment.original_name == "扫描件.pdf"
        blob = attachment.blob
        assert blob.content_type == "application/pdf" and blob.size == len(pdf_bytes)
        assert default_storage.exists(blob.storage_name)
        assert "扫描件" not in blob.storage_name
        with storage.blob_open(blob) as handle:
            assert handle.read() == pdf_bytes
        assert audit_actions(object_type="document") == ["create"]

    def test_it_stores_the_same_bytes_once(
        self, bob: Any, car_dossier: Any, pdf_bytes: bytes
    ) -> None:
        add(bob, car_dossier, pdf_bytes, "a.pdf")
        add(bob, car_dossier, pdf_bytes, "b.pdf")
        assert Attachment.objects.count() == 2
        assert Blob.objects.count() == 1

    def test_it_numbers_pieces_without_gaps(self, bob: Any, car_dossier: Any) -> None:
        pieces = [add(bob, car_dossier, None).piece_number for _ in range(3)]
        assert pieces == [1, 2, 3]

    @pytest.mark.parametrize(
        ("data", "name"),
        [
            (b"", "empty.pdf"),
            (b"just some text, not a scan", "notes.pdf"),
            (b"%PDF-1.4 fine", "../../etc/passwd"),
            (b"%PDF-1.4 fine", "a\\b.pdf"),
            (b"%PDF-1.4 fine", "bad\x00name.pdf"),
            (b"%PDF-1.4 fine", "bad\nname.pdf"),
        ],
    )
    def test_it_refuses_bad_files_and_stores_nothing(
        self, bob: Any, car_dossier: Any, data: bytes, name: str
    ) -> None:
        with pytest.raises(ApplicationError) as exc:
            add(bob, car_dossier, data, name)
        assert exc.value.field == "file"
        assert Document.objects.count() == 0 and Blob.objects.count() == 0

    def test_it_refuses_files_over_the_limit(
        self, bob: Any, car_dossier: Any, settings: Any, pdf_bytes: bytes
    ) -> None:
        settings.DANGAN_MAX_UPLOAD_BYTES = 1024 * 1024
        big = pdf_bytes + b"0" * (1024 * 1024)
        with pytest.raises(ApplicationError, match="MB"):
            add(bob, car_dossier, big)
        assert Document.objects.count() == 0

    def test_it_refuses_an_item_of_another_archive_type(
        self, bob: Any, car_dossier: Any, templates: Any
    ) -> None:
        other = templates["PROPERTY"].items.first()
        with pytest.raises(ApplicationError) as exc:
            add(bob, car_dossier, None, item=other)
        assert exc.value.field == "document_type"

    def test_it_hides_dossiers_outside_the_scope(self, dave: Any, car_dossier: Any) -> None:
        with pytest.raises(NotFound):
            add(dave, car_dossier, None)


class TestDownloadAndFixity:
    def test_it_records_each_download(self, bob: Any, car_dossier: Any, png_bytes: bytes) -> None:
        attachment = add(bob, car_dossier, png_bytes, "id.png").attachments.get()
        services.attachment_download(actor=bob, attachment_id=attachment.pk)
        assert "download" in audit_actions(object_type="document")

    def test_it_gives_the_same_answer_for_missing_and_forbidden(
        self, bob: Any, dave: Any, car_dossier: Any, png_bytes: bytes
    ) -> None:
        attachment = add(bob, car_dossier, png_bytes, "id.png").attachments.get()
        with pytest.raises(NotFound) as forbidden:
            services.attachment_download(actor=dave, attachment_id=attachment.pk)
        with pytest.raises(NotFound) as missing:
            services.attachment_download(actor=dave, attachment_id=999999)
        assert str(forbidden.value) == str(missing.value)

    def test_it_detects_a_changed_file(
        self, bob: Any, car_dossier: Any, pdf_bytes: bytes, tmp_path: Path
    ) -> None:
        blob = add(bob, car_dossier, pdf_bytes).attachments.get().blob
        assert storage.blob_fixity(blob)
        path = Path(default_storage.path(blob.storage_name))
        path.write_bytes(pdf_bytes + b"tampered")
        assert not storage.blob_fixity(blob)
        path.unlink()
        assert not storage.blob_fixity(blob)


class TestWatermarkedCopies:
    def test_it_marks_every_copy_and_keeps_the_stored_file(
        self, bob: Any, car_dossier: Any, png_bytes: bytes
    ) -> None:
        attachment = add(bob, car_dossier, png_bytes, "id.png").attachments.get()
        copy = services.attachment_download(actor=bob, attachment_id=attachment.pk)
        assert copy.content_type == "image/png" and copy.data != png_bytes
        assert copy.watermark.startswith("bob ")
        assert storage.blob_fixity(attachment.blob)  # the original is untouched

    def test_it_names_the_request_of_a_copy_grant(
        self, bob: Any, dave: Any, car_dossier: Any, pdf_bytes: bytes
    ) -> None:
        attachment = add(bob, car_dossier, pdf_bytes).attachments.get()
        grant_in_force(dave, car_dossier, "copy", reason="JY-2026-0007 复印购车合同")
        copy = services.attachment_download(actor=dave, attachment_id=attachment.pk)
        assert copy.watermark.endswith("JY-2026-0007")
