"""Waiting in tests for something another process does: one helper instead of deadline loops."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.1,
    message: str | Callable[[], str] = "",
) -> T:
    """Call `predicate` every `interval` seconds until it returns something truthy; return that.

    After `timeout` seconds the test fails with `message`; a callable is called only then, so
    it may read what helps to explain (a log tail) without doing so at every try.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = message() if callable(message) else message
            raise AssertionError(f"waited {timeout:g}s" + (f": {detail}" if detail else ""))
        time.sleep(interval)
