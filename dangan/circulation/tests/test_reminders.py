from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from conftest import audit_actions
from dangan.circulation import lending, services, tasks
from dangan.circulation.models import Loan, Notification
from dangan.circulation.selectors import loans_overdue
from dangan.circulation.tests.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(bob: Any, alice: Any, otto: Any, car_dossier: Any) -> Loan:
    services.request_create(
        actor=bob, kind="borrow", dossier_id=car_dossier.pk, purpose="核对", until=later(days=3)
    )
    return lending.loan_create(actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3))


def set_due(loan: Loan, due: datetime.datetime) -> None:
    Loan.objects.filter(pk=loan.pk).update(lent_at=due - datetime.timedelta(days=5), due_at=due)


def test_it_reminds_nobody_before_the_due_day(loan: Loan) -> None:
    assert services.reminders_send() == 0
    assert Notification.objects.filter(key__startswith="loan-due").count() == 0


def test_it_reminds_borrower_and_archivists_once_a_day(
    loan: Loan, bob: Any, alice: Any, otto: Any
) -> None:
    set_due(loan, timezone.now() - datetime.timedelta(days=2))
    assert list(loans_overdue()) == [Loan.objects.get(pk=loan.pk)]
    assert tasks.remind_overdue_loans.call() == 3
    reminders = Notification.objects.filter(key__startswith="loan-due")
    assert sorted(n.user.username for n in reminders) == ["alice", "bob", "otto"]
    assert "已逾期 2 天" in reminders.first().text  # type: ignore[union-attr]
    assert services.reminders_send() == 0  # the same day again: nothing new
    assert services.reminders_send(now=timezone.now() + datetime.timedelta(days=1)) == 3
    assert Notification.objects.filter(key__startswith="loan-due").count() == 6
    assert audit_actions(action="remind") == ["remind", "remind"]


def test_it_reminds_on_the_due_day(loan: Loan) -> None:
    end_of_today = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    set_due(loan, end_of_today)
    assert services.reminders_send() == 3
    assert "今日到期" in Notification.objects.filter(key__startswith="loan-due").first().text  # type: ignore[union-attr]


def test_it_stops_reminding_once_returned(loan: Loan, alice: Any) -> None:
    set_due(loan, timezone.now() - datetime.timedelta(hours=1))
    lending.loan_return(actor=alice, loan=loan, complete=True)
    assert services.reminders_send() == 0


def test_it_mails_only_when_a_mail_server_is_configured(
    loan: Loan, bob: Any, settings: Any
) -> None:
    bob.email = "bob@example.com"
    bob.save(update_fields=["email"])
    set_due(loan, timezone.now() - datetime.timedelta(hours=1))
    settings.EMAIL_HOST = ""
    services.reminders_send()
    assert mail.outbox == []
    settings.EMAIL_HOST = "smtp.example.com"
    services.reminders_send(now=timezone.now() + datetime.timedelta(days=1))
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


def test_it_queues_the_reminder_task(loan: Loan) -> None:
    result = tasks.schedule_reminders()
    assert result.task.name == "remind_overdue_loans"
