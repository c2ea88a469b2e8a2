"""What a due schedule does: which fire time runs, which are recorded as missed, and overlaps.

Pure functions of the schedule's settings, its due fire times and the clock, so the rules can be
read and tested apart from the database and the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Literal

from ..runs.records import UNFINISHED
from .cron import Cron

MisfirePolicy = Literal["skip", "run_once"]
ConcurrencyPolicy = Literal["allow", "forbid", "replace"]

# Fire times enumerated at most when catching up; an every-minute schedule down for a month
# would otherwise make one tick walk 40,000 fire times.
MAX_LISTED_MISSES = 500
MAX_COUNTED_MISSES = 10_000


@dataclass
class Miss:
    due: datetime
    reason: str


@dataclass
class Decision:
    """For one due schedule: the fire time to run now (if any), the misses, the next fire time."""

    fire: datetime | None
    catch_up: bool
    missed: list[Miss] = field(default_factory=list)
    unlisted_misses: int = 0
    next_fire: datetime | None = None


def decide(
    cron: Cron,
    first_due: datetime,
    now: datetime,
    *,
    misfire: MisfirePolicy,
    deadline: timedelta,
    tolerance: timedelta,
) -> Decision:
    """Fire times from `first_due` up to `now`: run the newest if on time (or, with `run_once`,
    as one catch-up within `deadline`); every other one is a recorded miss."""
    listed: list[datetime] = []
    unlisted = 0
    capped = False  # unlisted is then a lower bound
    newest = first_due
    for t in chain((first_due,), cron.fire_times(first_due)):
        if t > now:
            break
        newest = t
        if len(listed) < MAX_LISTED_MISSES:
            listed.append(t)
        elif unlisted < MAX_COUNTED_MISSES:
            unlisted += 1
        else:  # the exact count stops mattering: find the newest fire time from near now
            capped = True
            window = max(deadline, tolerance) + timedelta(minutes=1)
            for recent in cron.fire_times(max(newest, now - window)):
                if recent > now:
                    break
                newest = recent
            break
    late = now - newest
    fire: datetime | None = None
    catch_up = False
    if late <= tolerance:
        fire = newest
    elif misfire == "run_once" and late <= deadline:
        fire, catch_up = newest, True
    if fire is not None and fire not in listed and not capped:
        unlisted = max(0, unlisted - 1)  # counted above, but it runs
    missed = [Miss(t, _miss_reason(t, now, misfire, deadline, fire)) for t in listed if t != fire]
    return Decision(
        fire=fire,
        catch_up=catch_up,
        missed=missed,
        unlisted_misses=unlisted,
        next_fire=cron.next_after(now),
    )


def _miss_reason(
    due: datetime, now: datetime, misfire: MisfirePolicy, deadline: timedelta, fire: datetime | None
) -> str:
    if fire is not None and misfire == "run_once":
        return f"the scheduler was not running; covered by the run for {fire.isoformat()}"
    if fire is not None:
        return "the scheduler was not running; a later fire time ran instead (misfire policy skip)"
    if misfire == "skip":
        return "the scheduler was not running; misfire policy skip"
    return (
        f"the scheduler was not running; more than {deadline.total_seconds():.0f} s late, "
        "past the catch-up deadline"
    )


@dataclass(frozen=True)
class Overlap:
    """What a fire time does about the schedule's previous run, and the project's state."""

    skip: str | None = None  # why the fire time is skipped; None: it runs
    replaces: str | None = None  # the previous run, to cancel first (policy replace)


def overlap(
    concurrency: ConcurrencyPolicy,
    previous_run: str | None,
    previous_status: str | None,
    archived: bool,
) -> Overlap:
    """An archived project runs nothing; a previous run still going is left alone (`allow`),
    kept and this fire time skipped (`forbid`), or cancelled for the new one (`replace`)."""
    if archived:
        return Overlap(skip="the project is archived")
    if previous_run is None or previous_status not in UNFINISHED:
        return Overlap()
    if concurrency == "forbid":
        return Overlap(skip=f"run {previous_run} was still going (concurrency policy forbid)")
    if concurrency == "replace":
        return Overlap(replaces=previous_run)
    return Overlap()
