"""The dossier's transition table and dossier_transition (issue 23 §1)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import audit_actions
from dangan.archives import lifecycle
from dangan.archives.models import Dossier, DossierStatusChange, DossierTransition
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound

pytestmark = pytest.mark.django_db

S = Dossier.Status


def _set(dossier: Dossier, status: str) -> Dossier:
    """Put a dossier in a state for a test (the table is what is under test, not this)."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    dossier.refresh_from_db()
    return dossier


def move(actor: Any, dossier: Dossier, to: str, **kw: Any) -> Dossier:
    return lifecycle.dossier_transition(
        actor=actor, dossier=dossier, to=to, reason=kw.pop("reason", "合同到期"), **kw
    )


class TestTable:
    def test_it_allows_exactly_the_moves_of_the_table(self, alice: Any, car_dossier: Any) -> None:
        """Every pair of states by hand: allowed when the table has a manual row (for a
        legal hold, back to where it froze only), refused with 409 otherwise."""
        manual = {
            (row.from_status, row.to_status)
            for row in DossierTransition.objects.filter(channel="manual", to_prior=False)
        }
        assert (S.FILED, S.TERMINATED) in manual
        assert (S.FILED, S.ON_LOAN) not in manual  # loans only
        for source in S.values:
            for target in S.values:
                dossier = _set(car_dossier, source)
                DossierStatusChange.objects.filter(dossier=dossier).delete()
                if (source, target) in manual:
                    moved = move(alice, dossier, target, effective=datetime.date(2020, 1, 1))
                    assert moved.status == target
                elif source == S.LEGAL_HOLD and target == S.FILED:
                    # No record of where it froze from: it returns to filed.
                    assert move(alice, dossier, target).status == S.FILED
                else:
                    with pytest.raises(InvalidTransition) as exc:
                        move(alice, dossier, target)
                    assert exc.value.allowed == [
                        n.to_status for n in lifecycle.transitions_from(dossier, channel="manual")
                    ]
                    dossier.refresh_from_db()
                    assert dossier.status == source

    def test_it_terminates_with_reason_date_history_and_audit(
        self, alice: Any, car_dossier: Any
    ) -> None:
        effective = datetime.date(2019, 6, 30)  # a paper record brought over late
        moved = move(alice, car_dossier, S.TERMINATED, reason="合同解除", effective=effective)
        assert moved.status == "terminated"
        (change,) = lifecycle.status_history(moved)
        assert (change.from_status, change.to_status, change.reason, change.effective) == (
            "filed",
            "terminated",
            "合同解除",
            effective,
        )
        assert change.actor == alice
        assert lifecycle.status_since(moved) == effective
        entry = AuditEntry.objects.filter(action="transition").get()
        assert entry.detail["to"] == "terminated"
        assert entry.detail["effective"] == "2019-06-30"

    def test_it_refuses_a_future_effective_date(self, alice: Any, car_dossier: Any) -> None:
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with pytest.raises(ApplicationError) as exc:
            move(alice, car_dossier, S.TERMINATED, effective=tomorrow)
        assert exc.value.field == "effective"
        car_dossier.refresh_from_db()
        assert car_dossier.status == "filed"
        assert audit_actions(action="transition", outcome="failed") == ["transition"]

    def test_it_needs_a_reason(self, alice: Any, car_dossier: Any) -> None:
        with pytest.raises(ApplicationError) as exc:
            move(alice, car_dossier, S.TERMINATED, reason="  ")
        assert exc.value.field == "reason"

    def test_it_refuses_a_date_before_the_last_move(self, alice: Any, car_dossier: Any) -> None:
        move(alice, car_dossier, S.TERMINATED, effective=datetime.date(2024, 5, 1))
        with pytest.raises(ApplicationError) as exc:
            move(alice, car_dossier, S.FILED, effective=datetime.date(2024, 4, 1))
        assert exc.value.field == "effective"

    def test_it_returns_from_a_legal_hold_to_where_it_froze(
        self, alice: Any, car_dossier: Any
    ) -> None:
        move(alice, car_dossier, S.MOVED_OUT)
        move(alice, car_dossier, S.LEGAL_HOLD, reason="诉讼保全")
        dossier = Dossier.objects.get(pk=car_dossier.pk)
        assert [n.status for n in lifecycle.allowed_next(alice, dossier)] == ["moved_out"]
        with pytest.raises(InvalidTransition) as exc:
            move(alice, dossier, S.FILED, reason="解除")
        assert exc.value.allowed == ["moved_out"]
        assert move(alice, dossier, S.MOVED_OUT, reason="解除冻结").status == "moved_out"

    def test_it_keeps_the_moves_to_their_permissions(
        self, alice: Any, bob: Any, carol: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(Forbidden):  # an account manager marks no state
            move(bob, car_dossier, S.TERMINATED)
        with pytest.raises(Forbidden):  # a department manager may terminate, not freeze
            move(carol, car_dossier, S.LEGAL_HOLD)
        moved = move(carol, car_dossier, S.TERMINATED)
        assert moved.status == "terminated"
        assert [n.status for n in lifecycle.allowed_next(carol, moved)] == ["filed"]
        assert audit_actions(action="transition", outcome="denied") == ["transition"] * 2

    def test_it_answers_not_found_for_a_dossier_out_of_reach(
        self, dave: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(NotFound):
            move(dave, car_dossier, S.TERMINATED)

    def test_it_keeps_the_loan_states_to_the_loan_desk(self, alice: Any, car_dossier: Any) -> None:
        with pytest.raises(InvalidTransition):
            move(alice, car_dossier, S.ON_LOAN)
        dossier = move(alice, car_dossier, S.ON_LOAN, channel="loan")
        assert dossier.status == "on_loan"
        with pytest.raises(InvalidTransition):
            move(alice, dossier, S.FILED)  # returning is the loan desk's

    def test_it_runs_the_disposal_states_on_their_channel(
        self, alice: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(InvalidTransition):
            move(alice, car_dossier, S.APPRAISAL)
        for state in (S.APPRAISAL, S.PENDING_DISPOSAL, S.DESTROYED):
            car_dossier = move(alice, car_dossier, state, channel="disposal")
        assert car_dossier.status == "destroyed"
        assert lifecycle.transitions_from(car_dossier) == []

    def test_it_names_the_moved_out_state_as_the_type_does(self, templates: Any) -> None:
        assert lifecycle.status_label(templates["HOTEL-GUEST"], "moved_out") == "退房"
        assert lifecycle.status_label(templates["MEMBER"], "moved_out") == "退会"
        assert lifecycle.status_label(templates["CAR-SALE"], "moved_out") == "迁出"


class TestApi:
    def url(self, dossier: Dossier) -> str:
        return reverse("api:dossier_transition", kwargs={"pk": dossier.pk})

    def test_it_moves_and_answers_the_new_state(self, client: Client, alice: Any, car_dossier: Any):
        client.force_login(alice)
        answer = client.post(
            self.url(car_dossier),
            {"to": "terminated", "reason": "合同终止", "effective": "2025-01-31"},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.json()
        body = answer.json()
        assert body["status"] == "terminated"
        assert body["since"] == "2025-01-31"
        assert [n["status"] for n in body["allowed"]] == ["filed", "legal_hold"]
        assert body["history"][0]["reason"] == "合同终止"

    def test_it_answers_409_naming_the_allowed_states(
        self, client: Client, alice: Any, car_dossier: Any
    ) -> None:
        client.force_login(alice)
        answer = client.post(
            self.url(car_dossier),
            {"to": "destroyed", "reason": "x"},
            content_type="application/json",
        )
        assert answer.status_code == 409
        assert answer.json()["allowed"] == ["terminated", "moved_out", "legal_hold"]
        assert "to" in answer.json()

    def test_it_answers_400_for_a_future_date_or_unknown_state(
        self, client: Client, alice: Any, car_dossier: Any
    ) -> None:
        client.force_login(alice)
        tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        answer = client.post(
            self.url(car_dossier),
            {"to": "terminated", "reason": "x", "effective": tomorrow},
            content_type="application/json",
        )
        assert answer.status_code == 400
        assert "effective" in answer.json()
        answer = client.post(
            self.url(car_dossier), {"to": "lost", "reason": "x"}, content_type="application/json"
        )
        assert answer.status_code == 400
        assert "to" in answer.json()

    def test_it_answers_404_to_a_stranger_and_403_without_the_permission(
        self, client: Client, bob: Any, dave: Any, car_dossier: Any
    ) -> None:
        client.force_login(dave)
        data = {"to": "terminated", "reason": "x"}
        assert client.get(self.url(car_dossier)).status_code == 404
        assert client.post(self.url(car_dossier), data, "application/json").status_code == 404
        client.force_login(bob)
        assert client.get(self.url(car_dossier)).json()["allowed"] == []
        assert client.post(self.url(car_dossier), data, "application/json").status_code == 403
        car_dossier.refresh_from_db()
        assert car_dossier.status == "filed"


class TestPage:
    def test_it_shows_the_state_and_registers_a_move(
        self, client: Client, alice: Any, car_dossier: Any
    ) -> None:
        client.force_login(alice)
        page = client.get(reverse("archives:dossier", kwargs={"pk": car_dossier.pk}))
        html = page.content.decode()
        assert "状态记录" in html
        assert 'value="terminated"' in html
        answer = client.post(
            reverse("archives:dossier_transition", kwargs={"pk": car_dossier.pk}),
            {"to": "moved_out", "reason": "客户迁出", "effective": "2024-03-01"},
        )
        assert answer.status_code == 302
        page = client.get(reverse("archives:dossier", kwargs={"pk": car_dossier.pk}))
        html = page.content.decode()
        assert "客户迁出" in html and "2024-03-01" in html
        listing = client.get(reverse("archives:dossier_list") + "?status=moved_out")
        assert car_dossier.archive_number in listing.content.decode()

    def test_it_shows_a_refusal_as_a_message(
        self, client: Client, alice: Any, car_dossier: Any
    ) -> None:
        client.force_login(alice)
        answer = client.post(
            reverse("archives:dossier_transition", kwargs={"pk": car_dossier.pk}),
            {"to": "destroyed", "reason": "x"},
            follow=True,
        )
        assert "可转为" in answer.content.decode()
        car_dossier.refresh_from_db()
        assert car_dossier.status == "filed"

    def test_it_offers_no_moves_and_refuses_them_without_the_permission(
        self, client: Client, bob: Any, car_dossier: Any
    ) -> None:
        client.force_login(bob)
        page = client.get(reverse("archives:dossier", kwargs={"pk": car_dossier.pk}))
        assert "登记状态" not in page.content.decode()
        answer = client.post(
            reverse("archives:dossier_transition", kwargs={"pk": car_dossier.pk}),
            {"to": "terminated", "reason": "x"},
        )
        assert answer.status_code == 403
