"""Nothing in clear at rest that should not be (#22): private modes, SQLite's
secure_delete, and no orphan a killed upload could leave behind (listed by `dangan
verify`, removed by `dangan verify --repair`, recorded)."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from dangan import cli
from dangan.audit.models import AuditEntry
from dangan.config import restrict_permissions
from dangan.documents.models import Blob
from dangan.documents.storage import TEMP_DIR, blob_fixity_state

pytestmark = pytest.mark.django_db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _upload(bob: Any, car_dossier: Any, data: bytes, name: str = "scan.pdf") -> Any:
    from dangan.documents.services import document_add

    item = car_dossier.archive_type.items.get(code="INFO_CARD")
    document = document_add(
        actor=bob, dossier=car_dossier, checklist_item=item, file_name=name, file_chunks=[data]
    )
    return document.attachments.get()


def test_stored_scans_and_their_folders_are_private(
    bob: Any, car_dossier: Any, pdf_bytes: bytes
) -> None:
    attachment = _upload(bob, car_dossier, pdf_bytes)
    path = Path(default_storage.path(attachment.blob.storage_name))
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700


def test_the_commands_run_with_a_private_umask(capsys: Any) -> None:
    before = os.umask(0o022)
    try:
        cli.main(["verify"])
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(before)


def test_an_existing_data_dir_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "files" / "blobs" / "ab").mkdir(parents=True)
    (data / "static").mkdir()
    for path in (
        data / "dangan.sqlite3",
        data / "files" / "blobs" / "ab" / "x",
        data / "static" / "a.css",
    ):
        path.write_bytes(b"x")
        path.chmod(0o644)
    for directory in (
        data,
        data / "files",
        data / "files" / "blobs",
        data / "files" / "blobs" / "ab",
    ):
        directory.chmod(0o755)
    restrict_permissions(data, deep=False)  # quick: the top level only
    assert _mode(data) == 0o700 and _mode(data / "dangan.sqlite3") == 0o600
    assert _mode(data / "files" / "blobs" / "ab" / "x") == 0o644
    restrict_permissions(data, deep=True)
    assert _mode(data / "files" / "blobs" / "ab" / "x") == 0o600
    assert _mode(data / "files" / "blobs" / "ab") == 0o700
    assert _mode(data / "static" / "a.css") == 0o644  # public assets, left alone
    assert restrict_permissions(data, deep=True) == 0


def test_sqlite_overwrites_deleted_content() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's free pages; PostgreSQL's are its own")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def test_a_partial_file_left_by_a_killed_upload_is_never_adopted(
    bob: Any, car_dossier: Any, pdf_bytes: bytes
) -> None:
    """The process died while writing the bytes (no row was committed): the next upload
    of the same scan writes it again instead of taking the partial file for it."""
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    partial = Path(default_storage.path(Blob(sha256=sha).storage_name))
    partial.parent.mkdir(parents=True)
    partial.write_bytes(pdf_bytes[:20])
    attachment = _upload(bob, car_dossier, pdf_bytes)
    assert blob_fixity_state(attachment.blob) == "ok"
    assert partial.read_bytes() == pdf_bytes


def _age(path: Path, hours: float = 2) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_verify_lists_orphans_and_repair_removes_them(
    bob: Any,
    car_dossier: Any,
    pdf_bytes: bytes,
    png_bytes: bytes,
    settings: Any,
    tmp_path: Path,
    capsys: Any,
) -> None:
    from django.utils import timezone

    kept = _upload(bob, car_dossier, pdf_bytes)
    # 1. Bytes written, row never committed (the upload was killed).
    lost = Path(default_storage.path(Blob(sha256="ab" * 32).storage_name))
    lost.parent.mkdir(parents=True)
    lost.write_bytes(b"scan of a killed upload")
    # 2. A half-written temporary file of the storage, and one of Django's upload spool.
    part = Path(default_storage.path(TEMP_DIR)) / "tmpx.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"half")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    spooled = tmp_path / "spool" / "abc.upload"
    spooled.parent.mkdir()
    spooled.write_bytes(b"spooled")
    # 3. A stored file no document refers to.
    loose = Blob.objects.create(
        sha256=hashlib.sha256(png_bytes).hexdigest(), size=len(png_bytes), content_type="image/png"
    )
    loose_path = Path(default_storage.path(loose.storage_name))
    loose_path.parent.mkdir(parents=True, exist_ok=True)
    loose_path.write_bytes(png_bytes)
    Blob.objects.filter(pk=loose.pk).update(created_at=timezone.now() - timezone.timedelta(hours=2))
    # 4. An upload still being written: too young to be an orphan.
    young = Path(default_storage.path(TEMP_DIR)) / "young.part"
    young.write_bytes(b"in flight")
    for path in (lost, part, spooled, loose_path):
        _age(path)

    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert lost.name in out and "tmpx.part" in out and "abc.upload" in out
    assert loose.sha256 in out and "young.part" not in out
    assert "verify --repair" in out

    assert cli.main(["verify", "--repair"]) == 0
    for path in (lost, part, spooled, loose_path):
        assert not path.exists()
    assert young.exists() and not Blob.objects.filter(pk=loose.pk).exists()
    assert blob_fixity_state(kept.blob) == "ok"
    entry = AuditEntry.objects.get(action="repair")
    assert entry.detail["removed"] == 4
    capsys.readouterr()
    assert cli.main(["verify"]) == 0
    assert "无 (no orphan files)" in capsys.readouterr().out
