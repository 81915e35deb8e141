from __future__ import annotations

from typing import Any

import pytest

from conftest import _user


@pytest.fixture
def cs(db: Any) -> Any:
    """客服 Chen: customer service, sees every customer, handles complaints and repairs."""
    return _user("chen", "customer_service", "客服部", "陈晓")


@pytest.fixture
def fay(db: Any) -> Any:
    """Finance: reads service records, records none."""
    return _user("fay", "finance", "财务部", "冯雪")


@pytest.fixture
def property_dossier(templates: Any, bob: Any, bobs_customer: Any) -> Any:
    from dangan.archives.services import dossier_create

    fields = {"building": "3号楼", "entrance": "1", "floor": 12, "unit": "1203"}
    fields["move_in_date"] = "2026-10-01"
    return dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["PROPERTY"], fields=fields
    )
