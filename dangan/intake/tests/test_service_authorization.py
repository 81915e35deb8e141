"""Every public intake service checks its own actor through the policy layer (issue 29):
called directly with an actor who may not, it refuses and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import audit_actions
from dangan.core.errors import ApplicationError, Forbidden, NotFound
from dangan.documents.services import document_add
from dangan.intake import services
from dangan.intake.models import DocumentCheck, Finding, Penalty

pytestmark = pytest.mark.django_db
REFUSED = (Forbidden, NotFound)


def test_it_refuses_an_audit_run_outside_the_actors_reach(
    car_dossier: Any, dave: Any, eve: Any
) -> None:
    for outsider in (dave, eve):  # another department's manager; staff without intake.audit
        with pytest.raises(REFUSED):
            services.dossier_audit(actor=outsider, dossier=car_dossier)
    assert not car_dossier.intake_runs.exists()
    assert audit_actions(action="audit_run") == []


def test_it_refuses_recording_a_finding_without_the_right(
    car_dossier: Any, dave: Any, eve: Any
) -> None:
    for outsider in (dave, eve):
        with pytest.raises(REFUSED):
            services.finding_record(actor=outsider, dossier=car_dossier, kind="lost")
    assert not Finding.objects.exists()


def test_it_refuses_fixing_a_finding_without_the_right(
    car_dossier: Any, alice: Any, dave: Any
) -> None:
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="lost")
    with pytest.raises(REFUSED):
        services.finding_fix(actor=dave, finding=finding)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_it_refuses_document_facts_without_the_right(
    car_dossier: Any, alice: Any, dave: Any, eve: Any
) -> None:
    item = car_dossier.archive_type.items.get(code="SALES_CONTRACT")
    doc = document_add(actor=alice, dossier=car_dossier, checklist_item=item, title="合同")
    for outsider in (dave, eve):
        with pytest.raises(REFUSED):
            services.document_check_save(actor=outsider, document=doc, values={}, signed=False)
    assert not DocumentCheck.objects.exists()


def test_it_refuses_a_statement_on_a_finding_the_actor_cannot_see(
    car_dossier: Any, alice: Any, dave: Any
) -> None:
    finding = services.finding_record(actor=alice, dossier=car_dossier, kind="lost")
    with pytest.raises(REFUSED):
        services.statement_submit(actor=dave, finding=finding, text="不是我的")
    assert not finding.statements.exists()


def test_it_refuses_assessing_fines_without_the_right(bob: Any, dave: Any) -> None:
    for outsider in (bob, dave):
        with pytest.raises(Forbidden):
            services.penalties_assess(actor=outsider, month="2026-10")
    assert not Penalty.objects.exists()
    assert audit_actions(action="penalty_assess") == []


def test_it_refuses_calendar_changes_without_the_right(bob: Any) -> None:
    import datetime

    with pytest.raises(Forbidden):
        services.holiday_set(actor=bob, date=datetime.date(2026, 5, 6), kind="holiday")
    with pytest.raises(Forbidden):
        services.calendar_load(actor=bob, year=2026)


def test_it_still_answers_a_bad_month_with_a_field_error(alice: Any) -> None:
    with pytest.raises(ApplicationError) as exc:
        services.penalties_assess(actor=alice, month="2026-13x")
    assert exc.value.field == "month"
