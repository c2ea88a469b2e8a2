"""A clock the tests move: real time plus an offset read from a file at every call.

Service processes started by the tests use it (`c.Scheduler.clock_class`), so a test can jump
them across fire times, days or daylight-saving changes while time still flows.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scalelab.schedules.clock import Clock

CLOCK_FILE_ENV = "SCALELAB_TEST_CLOCK_FILE"
DATA_ROOT_CLOCK = "test-clock"  # used when the variable is not set: a hub passes few variables


class OffsetClock(Clock):
    def now(self) -> datetime:
        path = os.environ.get(CLOCK_FILE_ENV) or Path(
            os.environ["SCALELAB_DATA_ROOT"], DATA_ROOT_CLOCK
        )
        return datetime.now(UTC) + timedelta(seconds=float(Path(path).read_text() or 0))


def set_clock(path: Path, at: datetime) -> None:
    """Make clocks reading `path` show `at` now (and move on from there in real time)."""
    partial = path.with_suffix(".partial")
    partial.write_text(str((at - datetime.now(UTC)).total_seconds()))
    partial.replace(path)
