"""Working days: Monday to Friday, except public holidays, plus weekend days worked
instead (调休). The exceptions are rows of Holiday, editable by the archivist."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from dangan.intake.models import Holiday

DATA_DIR = Path(__file__).resolve().parent / "data"


class Calendar:
    """The exceptions loaded once; answer many questions without more queries."""

    def __init__(self, overrides: dict[datetime.date, str] | None = None) -> None:
        if overrides is None:
            overrides = dict(Holiday.objects.values_list("date", "kind"))
        self.overrides = overrides

    def is_working_day(self, day: datetime.date) -> bool:
        kind = self.overrides.get(day)
        if kind == Holiday.Kind.HOLIDAY:
            return False
        if kind == Holiday.Kind.WORKDAY:
            return True
        return day.weekday() < 5

    def add_working_days(self, day: datetime.date, n: int) -> datetime.date:
        """The n-th working day after `day` (`day` itself does not count): delivered on
        Friday, "1 working day" is the next working Monday."""
        if n < 0:
            raise ValueError(n)
        current = day
        left = n
        while left > 0:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def is_working_day(day: datetime.date) -> bool:
    return Calendar().is_working_day(day)


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    return Calendar().add_working_days(day, n)


def official_schedule(year: int) -> list[tuple[datetime.date, str, str]]:
    """(date, kind, name) rows from the shipped schedule of `year`; [] if none is shipped."""
    path = DATA_DIR / f"cn_{year}.yaml"
    if not path.exists():
        return []
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows: list[tuple[datetime.date, str, str]] = []
    for period in data.get("holidays") or []:
        day: datetime.date = period["from"]
        while day <= period["to"]:
            rows.append((day, Holiday.Kind.HOLIDAY, str(period["name"])))
            day += datetime.timedelta(days=1)
    for entry in data.get("workdays") or []:
        rows.append((entry["date"], Holiday.Kind.WORKDAY, str(entry["name"])))
    return rows


def shipped_years() -> list[int]:
    return sorted(int(p.stem.removeprefix("cn_")) for p in DATA_DIR.glob("cn_*.yaml"))
