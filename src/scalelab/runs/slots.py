"""Slots for steps: at most `size` held at once; the others wait in order of arrival, and each
waiter knows its place (what a queued run shows).

A freed slot goes straight to the first waiter, so a newcomer can never overtake the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable


class Slots:
    def __init__(self, size: int, on_change: Callable[[], None] | None = None) -> None:
        self.size = size
        self.busy = 0
        self.on_change = on_change
        self._waiting: deque[tuple[str, asyncio.Future[None]]] = deque()

    def places(self) -> dict[str, int]:
        """The place of each waiting key, 1 being next; a key waiting twice counts once."""
        places: dict[str, int] = {}
        for key, _ in self._waiting:
            places.setdefault(key, len(places) + 1)
        return places

    @contextlib.asynccontextmanager
    async def take(self, key: str) -> AsyncIterator[None]:
        """Hold a slot for the block, waiting for one in turn as `key`."""
        await self._acquire(key)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, key: str) -> None:
        if self.busy < self.size and not self._waiting:
            self.busy += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (key, future)
        self._waiting.append(entry)
        self._changed()
        try:
            await future
        except asyncio.CancelledError:
            if entry in self._waiting:
                self._waiting.remove(entry)
                self._changed()
            elif future.done() and not future.cancelled():
                self._release()  # handed a slot just as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():  # a cancelled waiter may still be in line
                future.set_result(None)
                self._changed()
                return
        self.busy -= 1

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
