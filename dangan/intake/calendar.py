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


# The statutory holidays (《全国年节及纪念日放假办法》, as revised in 2024, in force from
# 2025): 13 days. Lunar dates come from lunar_python; 清明 is the solar term's day.
PROVISIONAL_SOURCE = "法定节假日推算(暂定):国务院办公厅当年安排公布后替换"
OFFICIAL_SOURCE = "国务院办公厅节假日安排(内置 cn_%(year)s.yaml)"
MANUAL_SOURCE = "手工录入"


def statutory_schedule(year: int) -> list[tuple[datetime.date, str, str]]:
    """The statutory days off of `year`, without the weekend swaps (调休) that only the
    State Council's yearly notice fixes: 元旦 1 Jan; 春节 除夕 to 初三; 清明; 劳动节 1–2 May;
    端午 五月初五; 中秋 八月十五; 国庆 1–3 Oct."""
    from lunar_python import Lunar

    def lunar(month: int, day: int, lunar_year: int = year) -> datetime.date:
        solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
        return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())

    spring = lunar(1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    days: list[tuple[datetime.date, str]] = [(datetime.date(year, 1, 1), "元旦")]
    days += [(spring + datetime.timedelta(days=n), "春节") for n in range(-1, 3)]
    days.append(
        (datetime.date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), "清明节")
    )
    days += [(datetime.date(year, 5, d), "劳动节") for d in (1, 2)]
    days.append((lunar(5, 5), "端午节"))
    days.append((lunar(8, 15), "中秋节"))
    days += [(datetime.date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    # 除夕 of next year's 春节 can fall in this year's last days (never in practice before
    # 2100, but a date outside the year must not be loaded as this year's).
    return sorted(
        (day, Holiday.Kind.HOLIDAY, f"{name}(暂定)") for day, name in days if day.year == year
    )


def schedule_for(year: int) -> tuple[list[tuple[datetime.date, str, str]], str, bool]:
    """(rows, source, provisional): the shipped official schedule where there is one,
    otherwise the statutory holidays computed, marked provisional."""
    official = official_schedule(year)
    if official:
        return official, OFFICIAL_SOURCE % {"year": year}, False
    return statutory_schedule(year), PROVISIONAL_SOURCE, True
