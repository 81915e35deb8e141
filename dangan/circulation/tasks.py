"""Background work: reminders for loans due today or overdue (django-tasks).

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


def schedule_reminders() -> Any:
    """Queue today's reminders; returns the task result handle."""
    return remind_overdue_loans.enqueue()
