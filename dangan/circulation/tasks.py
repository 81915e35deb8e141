"""Background work: reminders for loans due today or overdue, and approval chains that
stall (django-tasks).

`schedule_reminders()` queues the task; a worker (`manage.py db_worker` from
django-tasks-db) runs it. Run it daily; running it twice a day adds nothing."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from dangan.circulation import services


@task()
def remind_overdue_loans() -> int:
    """Notify borrowers and archivists of loans due today or overdue; returns how many
    notifications were created (0 when today's reminders were already sent)."""
    return services.reminders_send()


@task()
def escalate_approvals() -> int:
    """Pass approval steps left too long to their next level, and remind approvers of
    steps waiting a day or more (once a day); returns how many steps were passed on."""
    return services.approvals_escalate()


def schedule_reminders() -> Any:
    """Queue today's reminders and the check of stalled approvals; returns the reminders'
    task result handle."""
    escalate_approvals.enqueue()
    return remind_overdue_loans.enqueue()
