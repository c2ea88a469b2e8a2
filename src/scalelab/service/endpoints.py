"""Live model endpoints: each a blue and maybe a green version, each version a set of replicas.

This is the `local` serving backend: replica processes on this machine behind the service's
gateway. It keeps what is live in memory (the gateway reads it on every request) and in the
store (so a restarted service brings it back), and it alone changes either.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from tornado import httpclient

from ..serving.policy import (
    BakePolicy,
    LoadSample,
    ReplicaLoad,
    ScalePolicy,
    bake_verdict,
    decide_scale,
    pick_colour,
    pick_replica,
)
from .replicas import Replica, ReplicaBackend, Serving

Colour = Literal["blue", "green"]
# Statuses that say the replica failed, not the caller: the request may go to another one.
RETRYABLE = frozenset({500, 502, 503, 504, 599})
NO_REPLICA = b'{"error_code": "UNAVAILABLE", "message": "no replica of this endpoint is ready"}'


@dataclass(frozen=True)
class Version:
    """One model version as deployed: where it came from and the local copy replicas load."""

    uri: str
    model_dir: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}" if self.name and self.version else self.uri

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "model_dir": self.model_dir,
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Version | None:
        if not data:
            return None
        return cls(
            uri=data["uri"],
            model_dir=data["model_dir"],
            name=data.get("name"),
            version=data.get("version"),
            run_id=data.get("run_id"),
        )


@dataclass(eq=False)
class ReplicaSet:
    """The replicas of one version; `errors` and `requests` count answers since it went live."""

    colour: Colour
    version: Version
    replicas: list[Replica] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    stopping: bool = False

    def ready(self) -> list[Replica]:
        return [r for r in self.replicas if r.ready and r.running]

    @property
    def in_flight(self) -> int:
        return sum(r.in_flight for r in self.replicas)


@dataclass
class Answer:
    code: int
    body: bytes
    colour: Colour | None
    replica: str | None
    version: str | None
    retries: int = 0


@dataclass(eq=False)
class Endpoint:
    id: int
    project_id: int
    slug: str
    name: str
    policy: ScalePolicy
    state: str = "starting"
    blue: ReplicaSet | None = None
    green: ReplicaSet | None = None
    green_share: int = 0
    previous: Version | None = None
    request_log_rate: float = 0.0
    bake_started: float | None = None
    samples: deque[LoadSample] = field(default_factory=lambda: deque(maxlen=4096))
    last_scale: float = field(default_factory=time.monotonic)
    # (monotonic time, milliseconds, ok) of recent answers, for requests/s and percentiles.
    recent: deque[tuple[float, float, bool]] = field(default_factory=lambda: deque(maxlen=5000))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    turns: itertools.count[int] = field(default_factory=itertools.count)

    def colours(self) -> list[ReplicaSet]:
        return [s for s in (self.blue, self.green) if s is not None]

    def set_of(self, colour: Colour) -> ReplicaSet | None:
        return self.blue if colour == "blue" else self.green

    @property
    def in_flight(self) -> int:
        return sum(s.in_flight for s in self.colours())

    def stats(self, now: float, window: float = 60.0) -> dict[str, float | int | None]:
        recent = [(t, ms, ok) for t, ms, ok in self.recent if now - t <= window]
        latencies = sorted(ms for _, ms, _ in recent)

        def percentile(q: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

        errors = sum(1 for *_, ok in recent if not ok)
        return {
            "requests_per_second": round(len(recent) / window, 2),
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "error_rate": round(errors / len(recent), 4) if recent else None,
            "in_flight": self.in_flight,
        }


class Router:
    """Sends one prediction request to a replica of the endpoint, and elsewhere when it fails.

    Colour first (green's share of traffic), then the replica with the fewest requests in
    flight. A replica that cannot be reached or answers 5xx is left out and the request goes
    to another one, of the same version or of the other: predictions have no side effects.
    While no replica is ready (the only one died and is starting again) the request waits.
    """

    def __init__(self, launcher: ReplicaBackend, config: Serving) -> None:
        self.launcher = launcher
        self.config = config
        self.random = random.Random()

    async def route(self, endpoint: Endpoint, body: bytes, path: str = "invocations") -> Answer:
        deadline = time.monotonic() + self.config.request_timeout
        tried: set[str] = set()
        failed: Answer | None = None
        first = self._colour(endpoint)
        second: Colour = "green" if first == "blue" else "blue"
        while True:
            chosen = self._pick(endpoint, first, tried) or self._pick(endpoint, second, tried)
            if chosen is None:
                # A model's own error answer is final once every replica gave it; a replica
                # that vanished (599) is replaced by the watcher: wait for the new one.
                if failed is not None and failed.code != 599:
                    return failed
                if time.monotonic() >= deadline:
                    return failed or Answer(503, NO_REPLICA, None, None, None)
                await asyncio.sleep(0.02)
                continue
            answer = await self._call(*chosen, body, path)
            answer.retries = len(tried)
            if answer.code not in RETRYABLE or len(tried) >= self.config.retries:
                return answer
            failed = answer
            tried.add(chosen[1].id)

    def _colour(self, endpoint: Endpoint) -> Colour:
        green = endpoint.green
        green_ready = green is not None and not green.stopping and bool(green.ready())
        if endpoint.blue is None or endpoint.blue.stopping or not endpoint.blue.ready():
            return "green" if green_ready else "blue"
        return pick_colour(endpoint.green_share, self.random.random(), green_ready=green_ready)

    def _pick(
        self, endpoint: Endpoint, colour: Colour, exclude: set[str]
    ) -> tuple[ReplicaSet, Replica] | None:
        replica_set = endpoint.set_of(colour)
        if replica_set is None:
            return None
        loads = [
            ReplicaLoad(r.id, r.in_flight, r.ready and r.running) for r in replica_set.replicas
        ]
        chosen = pick_replica(loads, exclude, next(endpoint.turns))
        if chosen is None:
            return None
        return replica_set, next(r for r in replica_set.replicas if r.id == chosen)

    async def _call(
        self, replica_set: ReplicaSet, replica: Replica, body: bytes, path: str
    ) -> Answer:
        replica.in_flight += 1
        try:
            response = await self.launcher.call(replica, "POST", path, body)
        except (OSError, httpclient.HTTPError) as exc:
            code, data = 599, json.dumps({"message": str(exc)}).encode()
        else:
            code, data = response.code, response.body or b""
        finally:
            replica.in_flight -= 1
        replica.served += 1
        replica_set.requests += 1
        if code in RETRYABLE:
            replica_set.errors += 1
        return Answer(code, data, replica_set.colour, replica.id, replica_set.version.label)


class Watcher:
    """The endpoint's upkeep, once a check interval: the autoscaler and the bake's verdict."""

    def __init__(self, config: Serving) -> None:
        self.config = config

    def bake_policy(self) -> BakePolicy:
        c = self.config
        return BakePolicy(
            seconds=c.bake_seconds,
            max_error_rate=c.max_error_rate,
            min_requests=c.min_bake_requests,
        )

    def sample(self, endpoint: Endpoint, now: float) -> None:
        endpoint.samples.append(LoadSample(now, endpoint.in_flight))

    def scale(self, endpoint: Endpoint, now: float) -> tuple[int, str] | None:
        live = endpoint.blue
        if live is None or endpoint.green is not None:
            return None  # not while two versions share the traffic
        decision = decide_scale(
            endpoint.policy, list(endpoint.samples), len(live.replicas), now, endpoint.last_scale
        )
        return None if decision is None else (decision.replicas, decision.reason)

    def bake(self, endpoint: Endpoint, now: float) -> tuple[str, str] | None:
        green = endpoint.green
        if green is None or endpoint.bake_started is None:
            return None
        verdict = bake_verdict(
            self.bake_policy(),
            started=endpoint.bake_started,
            now=now,
            requests=green.requests,
            errors=green.errors,
        )
        return None if verdict.action == "wait" else (verdict.action, verdict.reason)


async def stop_set(launcher: ReplicaBackend, replica_set: ReplicaSet, drain: float) -> None:
    replica_set.stopping = True
    await asyncio.gather(
        *(launcher.stop(r, drain=drain) for r in replica_set.replicas), return_exceptions=True
    )
    replica_set.replicas.clear()
