"""What the service needs to talk HTTP to its own child processes over Unix sockets.

The project MLflow servers and the model replicas listen on sockets in folders only the
service's account can open, and are reached by made-up host names that resolve to them.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any, Generic, TypeVar

from tornado import netutil

K = TypeVar("K")
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """Answers kept `seconds` (0: not at all), then asked again; bounded in size."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] >= self.seconds:
            return None
        return hit[1]

    def clear(self) -> None:
        self._items.clear()

    def put(self, key: K, value: V) -> None:
        if self.seconds <= 0:
            return
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (time.monotonic(), value)


class SocketResolver(netutil.Resolver):
    """Resolves each backend's made-up host name to its Unix socket, and nothing else."""

    def initialize(self, sockets: dict[str, Path]) -> None:  # type: ignore[override]
        self.sockets = sockets

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        path = self.sockets.get(host)
        if path is None:
            raise OSError(f"nothing listens as {host}")
        return [(socket.AF_UNIX, str(path))]
