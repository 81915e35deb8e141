"""A signed hand-over is when a bag counts as submitted for the deadline rules (#4)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from dangan.handover.services import handover_sign, handover_verify
from dangan.handover.tests.conftest import results_for
from dangan.intake.deadlines import ON_TIME, OVERDUE, dossier_deadline

pytestmark = pytest.mark.django_db


def test_it_counts_the_receivers_signature_as_the_submission(
    batch: Any, bob: Any, alice: Any, car_dossier: Any
) -> None:
    # Plated by the dealer, license issued 2026-10-11: due the next day (seed 003 #5).
    car_dossier.fields["license_date"] = "2026-10-11"
    car_dossier.save()
    assert dossier_deadline(car_dossier).submitted is None  # nothing filed, not handed over
    handover_verify(actor=alice, handover=batch, results=results_for(batch))
    handover_sign(actor=bob, handover=batch, as_party="sender")
    handover_sign(actor=alice, handover=batch, as_party="receiver")
    result = dossier_deadline(car_dossier)
    assert result.submitted == timezone.localdate()
    assert result.due == datetime.date(2026, 10, 12)
    assert result.state == (ON_TIME if timezone.localdate() <= result.due else OVERDUE)


def test_it_records_a_refused_signature_once(batch: Any, alice: Any) -> None:
    """Refusals go into the audit trail through one mechanism, once."""
    from dangan.audit.models import AuditEntry
    from dangan.core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        handover_sign(actor=alice, handover=batch, as_party="sender")  # alice is the receiver
    refused = AuditEntry.objects.exclude(outcome="success")
    assert [(e.action, e.actor_name) for e in refused] == [("sign", "alice")]
