"""Fire times of a cron expression in a timezone, with cron's rules for daylight-saving changes.

croniter finds the wall-clock matches; we correct two cases, as Vixie cron does. When clocks go
back, croniter fires a fixed-time job (say 02:30) twice that night, once per offset: we fire it
once per calendar day, and keep both passes only for jobs whose hour field is `*` (meant to run
every hour, so the repeated hour runs too). When clocks go forward, a fixed-time job in the gap
fires once right after it, and an hourly job skips the hour that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from itertools import islice, pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from ..errors import InvalidInput

MAX_FIELDS = 5  # minute hour day month weekday: the standard; no seconds
_NEVER_CHECK_FROM = datetime(2000, 1, 1, tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name`, or InvalidInput naming the problem."""
    if not name or name not in _zone_names():
        raise InvalidInput(f"unknown timezone {name!r}: use an IANA name such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown timezone {name!r}") from None


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


@dataclass(frozen=True)
class Cron:
    """A cron expression read in an IANA timezone."""

    expression: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        fields = self.expression.split()
        if len(fields) != MAX_FIELDS:
            raise InvalidInput(
                f"cron expression {self.expression!r} has {len(fields)} fields; give five: "
                "minute hour day-of-month month day-of-week"
            )
        try:
            croniter(self.expression)
        except (CroniterBadCronError, ValueError, KeyError) as exc:
            raise InvalidInput(f"invalid cron expression {self.expression!r}: {exc}") from None
        try:
            # croniter looks years ahead before it gives up, so a date that exists in any
            # year (29 February) passes, and one that exists in none (30 February) is refused.
            croniter(self.expression, _NEVER_CHECK_FROM).get_next(datetime)
        except CroniterBadDateError:
            raise InvalidInput(
                f"cron expression {self.expression!r} never fires: no month has that day"
            ) from None
        zone(self.timezone)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _every_hour(self) -> bool:
        hours = croniter(self.expression).expanded[1]
        return hours == ["*"] or len(hours) == 24

    def fire_times(self, after: datetime) -> Iterator[datetime]:
        """Fire times strictly after `after`, in UTC, in order, without end."""
        if after.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        matches = croniter(self.expression, after.astimezone(self.tz))
        last = after.astimezone(UTC)
        while True:
            local: datetime = matches.get_next(datetime)
            if self._every_hour:
                # Hourly jobs follow the clock: no run for an hour that does not exist.
                if not croniter.match(self.expression, local.replace(tzinfo=None)):
                    continue
            elif _is_repeat(local, self.tz):
                continue
            fire = local.astimezone(UTC)
            if fire <= last:  # a skipped wall time mapped onto one already fired
                continue
            last = fire
            yield fire

    def next_after(self, after: datetime) -> datetime:
        return next(self.fire_times(after))

    def next_times(self, after: datetime, count: int = 5) -> list[datetime]:
        return list(islice(self.fire_times(after), count))

    def shortest_interval(self, after: datetime, sample: int = 200) -> timedelta:
        """The shortest gap between the next `sample` fire times."""
        times = self.next_times(after, sample)
        return min(b - a for a, b in pairwise(times))

    def at_most_every(self, seconds: float, now: datetime, verb: str = "fires") -> Cron:
        """This cron, if it fires no more often than every `seconds`; else InvalidInput."""
        shortest = self.shortest_interval(now).total_seconds()
        if shortest < seconds:
            raise InvalidInput(
                f"{self.expression!r} {verb} every {shortest:.0f} s at its closest; the "
                f"shortest interval allowed is {seconds:g} s"
            )
        return self


@lru_cache(maxsize=1024)
def parsed(expression: str, timezone: str) -> Cron:
    """The Cron of an expression in a timezone, parsed once (schedules and monitors ask for
    the same few at every tick)."""
    return Cron(expression, timezone)


def _is_repeat(local: datetime, tz: ZoneInfo) -> bool:
    """Whether `local` is the second pass through a wall-clock time when clocks went back."""
    first = local.replace(tzinfo=None).replace(tzinfo=tz, fold=0)
    return first.astimezone(UTC) < local.astimezone(UTC)
