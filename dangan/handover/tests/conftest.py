from __future__ import annotations

from typing import Any

import pytest


def results_for(handover: Any, result: str = "present", **overrides: str) -> dict[int, Any]:
    """Every line of every item marked `result`; `overrides` maps line codes to results."""
    out: dict[int, Any] = {}
    for item in handover.items.all():
        out[item.pk] = {
            line.code: (overrides.get(line.code, result), "缺" if line.code in overrides else "")
            for line in item.lines.all()
        }
    return out


@pytest.fixture
def batch(bob: Any, alice: Any, car_dossier: Any) -> Any:
    """Bob hands his car dossier to the archive room (Alice's department)."""
    from dangan.handover.services import handover_create

    return handover_create(actor=bob, dossier_ids=[car_dossier.pk], to_department=alice.department)
