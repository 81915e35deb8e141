"""The holiday calendar loads this year and the next by default (issue 29): the official
schedule where it ships, else the statutory holidays with their lunar dates computed,
marked 暂定 and replaced once the official schedule is loaded; each date says its source."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dangan.intake import services
from dangan.intake.calendar import Calendar, statutory_schedule
from dangan.intake.models import Holiday

pytestmark = pytest.mark.django_db
D = datetime.date


def test_it_computes_the_statutory_holidays_with_their_lunar_dates() -> None:
    days = {day: name for day, _kind, name in statutory_schedule(2027)}
    assert len(days) == 13
    # 春节 2027: 初一 is 6 Feb, 除夕 5 Feb; 清明 5 Apr; 端午 9 Jun; 中秋 15 Sep.
    assert [d for d, n in days.items() if n.startswith("春节")] == [
        D(2027, 2, 5),
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 2, 8),
    ]
    assert days[D(2027, 4, 5)] == "清明节(暂定)"
    assert days[D(2027, 6, 9)] == "端午节(暂定)"
    assert days[D(2027, 9, 15)] == "中秋节(暂定)"
    assert {D(2027, 1, 1), D(2027, 5, 1), D(2027, 5, 2), D(2027, 10, 3)} <= set(days)
    # The computation agrees with the published 2026 schedule on the lunar holidays.
    spring_2026 = [d for d, _k, n in statutory_schedule(2026) if n.startswith("春节")]
    assert D(2026, 2, 17) in spring_2026  # 初一 2026


def test_it_loads_this_year_and_the_next_by_default(db: Any) -> None:
    loaded = services.calendar_load_defaults(today=D(2026, 12, 7))
    assert loaded == [2026, 2027]
    national_day = Holiday.objects.get(date=D(2026, 10, 1))
    assert not national_day.provisional and "cn_2026" in national_day.source
    spring = Holiday.objects.get(date=D(2027, 2, 6))
    assert spring.provisional and "暂定" in spring.source
    # Deadlines in 2027 skip 春节 and 国庆 now.
    cal = Calendar()
    assert cal.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 9)
    assert not cal.is_working_day(D(2027, 10, 1))
    # Run again (every `dangan init`): nothing is loaded twice.
    assert services.calendar_load_defaults(today=D(2026, 12, 7)) == []


def test_the_official_schedule_replaces_the_provisional_dates(alice: Any, settings: Any) -> None:
    services.calendar_load(actor=None, year=2026)
    Holiday.objects.filter(date__year=2026).delete()
    # As if 2026 had not been published: provisional days first.
    from dangan.intake import calendar

    rows = calendar.statutory_schedule(2026)
    Holiday.objects.bulk_create(
        Holiday(date=d, kind=k, name=n, source=calendar.PROVISIONAL_SOURCE, provisional=True)
        for d, k, n in rows
    )
    assert services.calendar_load_defaults(today=D(2026, 1, 5)) == [2026, 2027]
    assert not Holiday.objects.filter(date__year=2026, provisional=True).exists()
    assert Holiday.objects.filter(date=D(2026, 2, 14), kind="workday").exists()  # 调休


def test_a_provisional_load_keeps_dates_entered_by_hand(alice: Any, client: Any) -> None:
    services.holiday_set(actor=alice, date=D(2027, 2, 5), kind="workday", name="值班")
    services.calendar_load(actor=alice, year=2027)
    kept = Holiday.objects.get(date=D(2027, 2, 5))
    assert (kept.kind, kept.source, kept.provisional) == ("workday", "手工录入", False)
    client.force_login(alice)
    html = client.get("/intake/calendar/?year=2027").content.decode()
    assert "暂定" in html and "法定节假日推算" in html and "手工录入" in html


def test_dangan_init_loads_the_calendar(db: Any, capsys: Any) -> None:
    import argparse

    from dangan import cli

    cli.cmd_init(argparse.Namespace(admin_username="root", admin_password="Sup3r-Secret!"))
    years = {day.year for day in Holiday.objects.values_list("date", flat=True)}
    assert len(years) >= 2
    assert "节假日" in capsys.readouterr().out
