"""Widgets under test, closed afterwards so no poller thread outlives its test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from scalelab.widgets._base import PollingWidget

W = TypeVar("W", bound=PollingWidget)


class Closer:
    def __init__(self) -> None:
        self.opened: list[PollingWidget] = []

    def __call__(self, widget: W) -> W:
        self.opened.append(widget)
        return widget


@pytest.fixture
def closing() -> Iterator[Closer]:
    closer = Closer()
    yield closer
    for widget in closer.opened:
        widget.close()
    for widget in closer.opened:
        widget._poller.join(timeout=5)
        assert not widget._poller.is_alive(), f"{type(widget).__name__} kept polling"
