"""Which fire time runs after a late tick, and which are recorded as missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalelab.schedules.cron import Cron
from scalelab.schedules.policy import MAX_LISTED_MISSES, Overlap, decide, overlap

EVERY_MINUTE = Cron("* * * * *")
T = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
TOL = timedelta(seconds=60)
HOUR = timedelta(hours=1)


def test_on_time_fires_the_due_time() -> None:
    d = decide(
        EVERY_MINUTE, T, T + timedelta(seconds=2), misfire="skip", deadline=HOUR, tolerance=TOL
    )
    assert (d.fire, d.catch_up, d.missed) == (T, False, [])
    assert d.next_fire == T + timedelta(minutes=1)


def test_skip_records_every_miss_and_runs_nothing() -> None:
    now = T + timedelta(minutes=10, seconds=30)
    d = decide(EVERY_MINUTE, T, now, misfire="skip", deadline=HOUR, tolerance=timedelta(seconds=5))
    assert d.fire is None
    assert [m.due for m in d.missed] == [T + timedelta(minutes=i) for i in range(11)]
    assert d.next_fire == T + timedelta(minutes=11)


def test_run_once_catches_up_once_within_the_deadline() -> None:
    now = T + timedelta(minutes=10, seconds=30)
    d = decide(
        EVERY_MINUTE, T, now, misfire="run_once", deadline=HOUR, tolerance=timedelta(seconds=5)
    )
    assert (d.fire, d.catch_up) == (T + timedelta(minutes=10), True)
    assert len(d.missed) == 10 and all("covered by the run" in m.reason for m in d.missed)


def test_run_once_past_the_deadline_is_a_miss() -> None:
    hourly = Cron("0 * * * *")
    now = T + timedelta(hours=2, minutes=30)
    d = decide(hourly, T, now, misfire="run_once", deadline=timedelta(minutes=10), tolerance=TOL)
    assert d.fire is None
    assert [m.due for m in d.missed] == [T, T + HOUR, T + 2 * HOUR]
    assert "past the catch-up deadline" in d.missed[-1].reason


def test_a_long_outage_lists_a_bounded_number_of_misses_and_counts_the_rest() -> None:
    now = T + timedelta(days=2)
    d = decide(EVERY_MINUTE, T, now, misfire="skip", deadline=HOUR, tolerance=TOL)
    # The newest fire time (now) is on time; every other minute of the two days is a miss.
    assert d.fire == now
    assert len(d.missed) == MAX_LISTED_MISSES
    assert len(d.missed) + d.unlisted_misses == 2 * 24 * 60


def test_a_very_long_outage_still_finds_the_newest_fire_time() -> None:
    now = T + timedelta(days=30, seconds=20)
    d = decide(EVERY_MINUTE, T, now, misfire="skip", deadline=HOUR, tolerance=TOL)
    assert d.fire == T + timedelta(days=30)
    assert d.unlisted_misses >= 10_000


@pytest.mark.parametrize(
    ("concurrency", "status", "archived", "expected"),
    [
        (
            "forbid",
            "running",
            False,
            Overlap(skip="run r1 was still going (concurrency policy forbid)"),
        ),
        ("forbid", "succeeded", False, Overlap()),
        ("allow", "running", False, Overlap()),
        ("replace", "queued", False, Overlap(replaces="r1")),
        ("replace", "failed", False, Overlap()),
        ("allow", None, True, Overlap(skip="the project is archived")),
    ],
)
def test_overlap_rules(
    concurrency: str, status: str | None, archived: bool, expected: Overlap
) -> None:
    previous = "r1" if status else None
    assert overlap(concurrency, previous, status, archived) == expected  # type: ignore[arg-type]
