"""Fixtures of the disposal tests: the director, and an expired car file."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PDF_BYTES, _user, car_fields
from dangan.archives.lifecycle import dossier_transition
from dangan.archives.models import Dossier


@pytest.fixture
def dirk(db: Any) -> Any:
    return _user("dirk", "director", "", "赵总")


@pytest.fixture
def closed_car(templates: Any, alice: Any, bob: Any, bobs_customer: Any) -> Dossier:
    """Bob's car file with a scan, terminated in 2010: its D30 ran out in 2040 … so the
    test makes the type's retention D10 for it (ended 2020-03-01)."""
    from dangan.archives.services import dossier_create
    from dangan.documents.services import document_add

    dossier = dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["CAR-SALE"], fields=car_fields()
    )
    Dossier.objects.filter(pk=dossier.pk).update(retention="D10")
    document_add(
        actor=alice,
        dossier=dossier,
        checklist_item=dossier.archive_type.items.first(),
        file_name="card.pdf",
        file_chunks=[PDF_BYTES],
    )
    dossier_transition(
        actor=alice, dossier=dossier, to="terminated", reason="合同终止", effective="2010-03-01"
    )
    return Dossier.objects.get(pk=dossier.pk)
