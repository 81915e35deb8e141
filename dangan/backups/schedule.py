"""When scheduled backups are due: `daily`, `weekly` or a five-field cron line."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from dangan.core.errors import ApplicationError

NAMED = {"daily": "0 2 * * *", "weekly": "0 2 * * 0"}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, low: int, high: int) -> set[int] | None:
    """The values one cron field allows; None for '*' (anything)."""
    if text == "*":
        return None
    values: set[int] = set()
    for part in text.split(","):
        spec, _sep, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if spec == "*":
            start, end = low, high
        elif "-" in spec:
            a, b = spec.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(spec)
            end = high if step_text else start
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(part)
        values.update(range(start, end + 1, step))
    return values


class Schedule:
    def __init__(self, line: str) -> None:
        self.line = NAMED.get(line.strip().lower(), line.strip())
        fields = self.line.split()
        try:
            if len(fields) != 5:
                raise ValueError(self.line)
            parsed = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True)]
        except ValueError as exc:
            raise ApplicationError(
                _("备份计划无法识别:%(line)s(应为 daily、weekly 或五段 cron 表达式)")
                % {"line": line},
                field="DANGAN_BACKUP_SCHEDULE",
            ) from exc
        self.minutes, self.hours, self.days, self.months, weekdays = parsed
        # cron: 0 and 7 are Sunday; Python: Monday is 0.
        self.weekdays = None if weekdays is None else {(d - 1) % 7 for d in weekdays}

    def _day_matches(self, day: datetime.date) -> bool:
        if self.months is not None and day.month not in self.months:
            return False
        by_date = self.days is None or day.day in self.days
        by_weekday = self.weekdays is None or day.weekday() in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return by_date or by_weekday  # cron: either restricted field matches
        return by_date and by_weekday

    def previous(self, now: datetime.datetime) -> datetime.datetime | None:
        """The latest scheduled time at or before `now` (aware, in now's zone), within a
        year and a week."""
        minutes = sorted(self.minutes if self.minutes is not None else range(60), reverse=True)
        hours = sorted(self.hours if self.hours is not None else range(24), reverse=True)
        now = now.replace(second=0, microsecond=0)
        for back in range(373):
            day = (now - datetime.timedelta(days=back)).date()
            if not self._day_matches(day):
                continue
            for hour in hours:
                for minute in minutes:
                    at = datetime.datetime.combine(day, datetime.time(hour, minute), now.tzinfo)
                    if at <= now:
                        return at
        return None
