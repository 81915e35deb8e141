"""The daily notices that are not about loans or service records (those have their own
tasks): the care reminders of the day, the checks due in the archive room, paper copies
out past their return date, and once a month the dossiers due for appraisal. `dangan
worker` queues it every few hours; each notice is made at most once for its day (or
month), so queueing it again adds nothing."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def remind_daily() -> int:
    from dangan.disposal.notices import due_notify
    from dangan.home.services import reminders_notify
    from dangan.paper.checks import checks_notify
    from dangan.paper.copies import overdue_notify

    return reminders_notify() + checks_notify() + due_notify() + overdue_notify()


def schedule_daily_reminders() -> Any:
    return remind_daily.enqueue()
