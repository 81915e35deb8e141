"""Background work of service records: overdue tickets and contact follow-ups (run with
the loan reminders by `dangan worker`, several times a day; each notice goes once a day)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from dangan.service import services


@task()
def remind_service() -> int:
    """Notify handlers and managers of overdue tickets, and owners of due follow-ups."""
    return services.tickets_overdue_notify() + services.follow_ups_notify()


def schedule_service_reminders() -> Any:
    return remind_service.enqueue()
