"""The rules of model serving: which replica takes a request, blue or green, how many replicas,
when a new version is promoted or rolled back, and whether its inputs still fit.

Pure functions of small frozen values, so the rules can be read and tested apart from the
replicas, the database and the event loop: the time is passed in (seconds, any epoch), and so is
any randomness (a number drawn by the caller).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# An endpoint's name, as it appears in its URL.
ENDPOINT_NAME = r"^[a-z0-9][a-z0-9-]{0,39}$"

# --- routing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaLoad:
    """One replica as the router sees it: requests it is serving now, and whether it is up."""

    id: str
    in_flight: int
    ready: bool = True


def pick_replica(
    replicas: Sequence[ReplicaLoad], exclude: Collection[str] = (), tiebreak: int = 0
) -> str | None:
    """The ready replica (not in `exclude`) with the fewest requests in flight; None if none.

    Among equally loaded replicas (in the order given) `tiebreak` picks one, modulo their
    number, so a caller passing a counter spreads requests over them instead of always sending
    the next one to the first.
    """
    eligible = [r for r in replicas if r.ready and r.id not in exclude]
    if not eligible:
        return None
    least = min(r.in_flight for r in eligible)
    candidates = [r for r in eligible if r.in_flight == least]
    return candidates[tiebreak % len(candidates)].id


def pick_colour(green_share: int, draw: float, *, green_ready: bool) -> Literal["blue", "green"]:
    """Green for a share of `green_share` percent of requests, by `draw` in [0, 1); blue
    whenever green is not ready. Share 100 sends everything to green, 0 nothing."""
    if not 0 <= green_share <= 100:
        raise ValueError(f"green share must be a percentage from 0 to 100, not {green_share}")
    if not 0.0 <= draw < 1.0:
        raise ValueError(f"draw must be in [0, 1), not {draw}")
    return "green" if green_ready and draw * 100 < green_share else "blue"


# --- autoscaling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalePolicy:
    """How many replicas an endpoint runs: enough for `target_in_flight` requests each, on
    average over the last `window` seconds, within [min_replicas, max_replicas].

    `up_after` and `down_after` are how long (seconds) the load must have asked for more, or
    fitted in fewer, replicas before a change, and how long since the previous change.
    """

    min_replicas: int
    max_replicas: int
    target_in_flight: float
    up_after: float
    down_after: float
    window: float

    def __post_init__(self) -> None:
        if self.min_replicas < 1:
            raise ValueError(f"min_replicas must be at least 1, not {self.min_replicas}")
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"max_replicas ({self.max_replicas}) is below min_replicas ({self.min_replicas})"
            )
        if not self.target_in_flight > 0:
            raise ValueError(
                f"target_in_flight must be above 0 requests per replica, "
                f"not {self.target_in_flight}"
            )
        if self.up_after < 0 or self.down_after < 0:
            raise ValueError(
                f"up_after and down_after must be 0 s or more, "
                f"not {self.up_after} and {self.down_after}"
            )
        if not self.window > 0:
            raise ValueError(f"window must be above 0 s, not {self.window}")


@dataclass(frozen=True)
class LoadSample:
    """The requests in flight across an endpoint's serving replicas, at time `at` (seconds)."""

    at: float
    in_flight: int


@dataclass(frozen=True)
class ScaleDecision:
    """The number of replicas to run, and why, in one line with the figures."""

    replicas: int
    reason: str


def _replicas_for(in_flight: float, target: float) -> int:
    """Replicas needed to carry `in_flight` requests at `target` each (0 for no load)."""
    # Rounded first so that, say, 3 / 0.1 = 30.000000000000004 does not ask for 31.
    return max(0, math.ceil(round(in_flight / target, 9)))


def decide_scale(
    policy: ScalePolicy,
    samples: Sequence[LoadSample],
    replicas: int,
    now: float,
    last_change: float,
) -> ScaleDecision | None:
    """The change to make to an endpoint running `replicas`, last changed at `last_change`;
    None to leave it.

    A replica count outside the policy's bounds (the bounds were edited) is clamped at once.
    Otherwise the wanted count is the mean in-flight requests over the last `window` seconds
    divided by `target_in_flight`, rounded up and kept within the bounds.

    Scaling up happens only once every sample over the last `up_after` seconds needed more
    than `replicas`, and it goes straight to the wanted count (at least one more, at most
    `max_replicas`). Scaling down happens only once every sample over the last `down_after`
    seconds fitted in one replica fewer, and by one replica at a time. Both also wait that long
    since the previous change. The delays are there against flapping: load is bursty, and
    starting a replica for a spike that is over before it is ready, then stopping it and starting
    it again, costs capacity (a replica loading a model serves nothing) and churns the routing.
    A longer `down_after` keeps capacity through lulls; one step down at a time lets the
    load show again between steps.

    "Over the last N seconds" means the samples within [now - N, now], plus the newest sample
    before that span (its value held at the span's start); without a sample at or before
    now - N the load has not been seen for long enough, and nothing changes. Those spans may
    reach further back than `window`: callers keep samples for the longest of the three.
    """
    if replicas < policy.min_replicas or replicas > policy.max_replicas:
        to = min(max(replicas, policy.min_replicas), policy.max_replicas)
        return ScaleDecision(
            to,
            f"the replica bounds changed to {policy.min_replicas}..{policy.max_replicas}: "
            f"{replicas} -> {to}",
        )
    past = sorted((s for s in samples if s.at <= now), key=lambda s: s.at)
    recent = [s for s in past if s.at >= now - policy.window]
    if not recent:
        return None
    target = policy.target_in_flight
    mean = sum(s.in_flight for s in recent) / len(recent)
    wanted = min(max(_replicas_for(mean, target), policy.min_replicas), policy.max_replicas)
    load = f"mean {mean:.1f} in flight over {_secs(policy.window)}"
    carry = f"{target:.1f} per replica x {replicas} replica{'s' if replicas != 1 else ''}"

    if replicas < policy.max_replicas and now - last_change >= policy.up_after:
        span = _held_over(past, now - policy.up_after)
        if span and all(_replicas_for(s.in_flight, target) > replicas for s in span):
            to = max(wanted, replicas + 1)
            least = min(s.in_flight for s in span)
            return ScaleDecision(
                to,
                f"{load}; at least {least} for {_secs(policy.up_after)} > {carry}: "
                f"{replicas} -> {to}",
            )
    if replicas > policy.min_replicas and now - last_change >= policy.down_after:
        span = _held_over(past, now - policy.down_after)
        if span and all(_replicas_for(s.in_flight, target) <= replicas - 1 for s in span):
            fewer = replicas - 1
            return ScaleDecision(
                fewer,
                f"{load}; at most {max(s.in_flight for s in span)} for "
                f"{_secs(policy.down_after)} fits {target:.1f} per replica x {fewer} "
                f"replica{'s' if fewer != 1 else ''}: {replicas} -> {fewer}",
            )
    return None


def _held_over(past: Sequence[LoadSample], since: float) -> list[LoadSample]:
    """The samples in effect from `since` on: the newest at or before it (all of them, if
    several share its time) and every later one; empty when no sample is that old."""
    start = max((s.at for s in past if s.at <= since), default=None)
    return [] if start is None else [s for s in past if s.at >= start]


def _secs(seconds: float) -> str:
    return f"{seconds:g}s"


# --- bake ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BakePolicy:
    """A new version serves for `seconds` before it is promoted, and is rolled back as soon as
    more than `max_error_rate` (a fraction) of at least `min_requests` requests failed."""

    seconds: float
    max_error_rate: float
    min_requests: int

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError(f"bake seconds must be 0 or more, not {self.seconds}")
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ValueError(f"max_error_rate is a fraction from 0 to 1, not {self.max_error_rate}")
        if self.min_requests < 0:
            raise ValueError(f"min_requests must be 0 or more, not {self.min_requests}")


@dataclass(frozen=True)
class BakeVerdict:
    action: Literal["wait", "promote", "rollback"]
    reason: str


def bake_verdict(
    policy: BakePolicy, *, started: float, now: float, requests: int, errors: int
) -> BakeVerdict:
    """Roll back as soon as enough requests were seen (`min_requests`) and too many failed,
    even before the bake period is over; promote once it is over (also when too few requests
    came to judge by); wait otherwise."""
    if requests < 0 or not 0 <= errors <= requests:
        raise ValueError(f"{errors} errors of {requests} requests is not a count of requests")
    failed = f"{errors} of {requests} request{'s' if requests != 1 else ''} failed"
    limit = f"{policy.max_error_rate:.1%}"
    if requests > 0 and requests >= policy.min_requests:
        rate = errors / requests
        if rate > policy.max_error_rate:
            return BakeVerdict("rollback", f"{failed} ({rate:.1%} > {limit}) during the bake")
    elapsed = now - started
    if elapsed < policy.seconds:
        return BakeVerdict(
            "wait", f"baking for {_secs(elapsed)} of {_secs(policy.seconds)}: {failed} so far"
        )
    if requests < policy.min_requests:
        return BakeVerdict(
            "promote",
            f"only {requests} request{'s' if requests != 1 else ''} during the "
            f"{_secs(policy.seconds)} bake, fewer than the {policy.min_requests} needed to judge "
            "the error rate",
        )
    rate = errors / requests if requests else 0.0
    return BakeVerdict(
        "promote", f"{failed} ({rate:.1%} <= {limit}) during the {_secs(policy.seconds)} bake"
    )


# --- signatures ----------------------------------------------------------------------------


def signature_mismatch(
    live: Sequence[Mapping[str, Any]] | None, new: Sequence[Mapping[str, Any]] | None
) -> str | None:
    """Why requests the live version takes would not fit the new one; None if they would.

    Both are MLflow input schemas as `Schema.to_dict()` gives them. Named columns are matched
    by name, in any order: a column the live version had is missing, a required column is new
    (or was optional before), or a column's type changed. Unnamed specs (positional tensors or
    columns) are compared as a whole list. Without a live signature there is nothing to compare.
    """
    if live is None:
        return None
    if new is None:
        return "the new version has no input signature"
    live_named = all("name" in spec for spec in live)
    new_named = all("name" in spec for spec in new)
    if not (live_named and new_named):
        old_specs = [_type_of(s, with_name=True) for s in live]
        new_specs = [_type_of(s, with_name=True) for s in new]
        if old_specs == new_specs:
            return None
        return f"the inputs changed: {_show_list(old_specs)} -> {_show_list(new_specs)}"

    old_cols = {str(s["name"]): s for s in live}
    new_cols = {str(s["name"]): s for s in new}
    problems = []
    missing = [n for n in old_cols if n not in new_cols]
    if missing:
        problems.append(f"columns missing from the new version: {', '.join(missing)}")
    added = [n for n, s in new_cols.items() if n not in old_cols and _required(s)]
    if added:
        problems.append(f"new required columns: {', '.join(added)}")
    now_required = [
        n
        for n, s in new_cols.items()
        if n in old_cols and _required(s) and not _required(old_cols[n])
    ]
    if now_required:
        problems.append(f"columns now required: {', '.join(now_required)}")
    retyped = [
        f"{n}: {_show(_type_of(old_cols[n]))} -> {_show(_type_of(s))}"
        for n, s in new_cols.items()
        if n in old_cols and _type_of(old_cols[n]) != _type_of(s)
    ]
    if retyped:
        problems.append(f"column types changed: {', '.join(retyped)}")
    return "; ".join(problems) or None


def _required(spec: Mapping[str, Any]) -> bool:
    return bool(spec.get("required", True))


def _type_of(spec: Mapping[str, Any], *, with_name: bool = False) -> Any:
    """The spec without its name and required flag (kept for unnamed lists), as plain JSON
    values, so a tuple shape and its list after a JSON round trip compare equal."""
    drop = {"required"} if with_name else {"name", "required"}
    plain = json.loads(json.dumps({k: v for k, v in spec.items() if k not in drop}))
    if with_name:
        plain.setdefault("required", _required(spec))
    return plain


def _show(t: Mapping[str, Any]) -> str:
    kind = t.get("type")
    if kind == "tensor" and isinstance(t.get("tensor-spec"), Mapping):
        ts = t["tensor-spec"]
        shape = ", ".join(str(d) for d in ts.get("shape", []))
        return f"tensor {ts.get('dtype')} ({shape})"
    if set(t) == {"type"}:
        return str(kind)
    return json.dumps(t, sort_keys=True, separators=(",", ":"))


def _show_list(specs: Sequence[Mapping[str, Any]]) -> str:
    def one(s: Mapping[str, Any]) -> str:
        name = f"{s['name']}: " if "name" in s else ""
        optional = "" if s.get("required", True) else " (optional)"
        rest = {k: v for k, v in s.items() if k not in ("name", "required")}
        return f"{name}{_show(rest)}{optional}"

    return "[" + ", ".join(one(s) for s in specs) + "]"
