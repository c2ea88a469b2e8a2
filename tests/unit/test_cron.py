"""Fire times of cron schedules in timezones, across daylight-saving changes."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scalelab.errors import InvalidInput
from scalelab.schedules.cron import Cron

# Europe/Berlin: 2026-03-29 02:00 -> 03:00 (02:30 does not exist), 2026-10-25 03:00 -> 02:00
# (02:30 happens twice). America/New_York: 2026-03-08 and 2026-11-01, the same at 02:00.
TRANSITIONS = [
    ("Europe/Berlin", datetime(2026, 3, 27)),
    ("Europe/Berlin", datetime(2026, 10, 23)),
    ("America/New_York", datetime(2026, 3, 6)),
    ("America/New_York", datetime(2026, 10, 30)),
]


@pytest.mark.parametrize(("zone", "start"), TRANSITIONS)
def test_a_fixed_time_fires_once_per_calendar_day_across_dst(zone: str, start: datetime) -> None:
    tz = ZoneInfo(zone)
    cron = Cron("30 2 * * *", zone)
    fires = cron.next_times(start.replace(tzinfo=tz), 6)
    days = Counter(f.astimezone(tz).date() for f in fires)
    assert list(days.values()) == [1] * 6
    assert len(days) == 6  # consecutive days, none skipped
    assert all(b - a <= timedelta(hours=25) for a, b in itertools.pairwise(fires))


def test_a_skipped_wall_time_fires_right_after_the_gap() -> None:
    tz = ZoneInfo("Europe/Berlin")
    [fire] = Cron("30 2 * * *", "Europe/Berlin").next_times(datetime(2026, 3, 29, tzinfo=tz), 1)
    assert fire.astimezone(tz) == datetime(2026, 3, 29, 3, 0, tzinfo=tz)


def test_a_repeated_hour_runs_twice_for_hourly_schedules() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 25, 1, 45, tzinfo=tz)
    fires = Cron("*/30 * * * *", "Europe/Berlin").next_times(start, 5)
    assert [f - fires[0] for f in fires] == [timedelta(minutes=30 * i) for i in range(5)]
    assert [f.astimezone(tz).strftime("%H:%M%z") for f in fires] == [
        "02:00+0200",
        "02:30+0200",
        "02:00+0100",
        "02:30+0100",
        "03:00+0100",
    ]


def test_every_minute_across_spring_forward_has_no_duplicates() -> None:
    tz = ZoneInfo("America/New_York")
    fires = Cron("* * * * *", "America/New_York").next_times(
        datetime(2026, 3, 8, 1, 58, tzinfo=tz), 4
    )
    assert [f.astimezone(tz).strftime("%H:%M") for f in fires] == [
        "01:59",
        "03:00",
        "03:01",
        "03:02",
    ]
    assert len(set(fires)) == 4


def test_fire_times_are_utc_and_strictly_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    fires = Cron("0 * * * *").next_times(now, 3)
    assert fires[0] == datetime(2026, 1, 1, 13, 0, tzinfo=UTC)
    assert all(f.tzinfo == UTC for f in fires)


def test_shortest_interval() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert Cron("0,1 * * * *").shortest_interval(now) == timedelta(minutes=1)
    assert Cron("0 6 * * 1-5").shortest_interval(now) == timedelta(days=1)


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("61 * * * *", "UTC", "invalid cron expression"),
        ("* * *", "UTC", "has 3 fields; give five"),
        ("* * * * * *", "UTC", "has 6 fields"),
        ("every day", "UTC", "has 2 fields"),
        ("* * * * *", "Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
        ("* * * * *", "", "unknown timezone"),
    ],
)
def test_bad_cron_or_timezone_is_refused(expression: str, timezone: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Cron(expression, timezone)


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2 *"])
def test_a_cron_that_never_fires_is_refused(expression: str) -> None:
    with pytest.raises(InvalidInput, match="never fires"):
        Cron(expression)


def test_a_cron_for_a_leap_day_or_a_weekday_of_february_fires() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert Cron("0 0 29 2 *").next_after(now) == datetime(2028, 2, 29, tzinfo=UTC)
    # Day of month or day of week, as in cron: Mondays of February.
    assert Cron("0 0 30 2 1").next_after(now) == datetime(2026, 2, 2, tzinfo=UTC)


def test_an_hourly_job_skips_the_hour_that_does_not_exist() -> None:
    tz = ZoneInfo("Europe/Berlin")
    fires = Cron("30 * * * *", "Europe/Berlin").next_times(
        datetime(2026, 3, 29, 1, 0, tzinfo=tz), 3
    )
    assert [f.astimezone(tz).strftime("%H:%M%z") for f in fires] == [
        "01:30+0100",
        "03:30+0200",
        "04:30+0200",
    ]
