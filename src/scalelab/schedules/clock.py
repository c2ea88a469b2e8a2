"""The scheduler's sense of time, swappable so tests can move it across fire times."""

from __future__ import annotations

from datetime import UTC, datetime

from traitlets.config import LoggingConfigurable


class Clock(LoggingConfigurable):
    """Wall-clock time for the scheduler. Subclasses may run ahead or behind the real one."""

    def now(self) -> datetime:
        return datetime.now(UTC)
