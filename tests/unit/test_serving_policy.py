"""The rules of model serving: routing, blue-green shares, autoscaling, bake verdicts and
input-signature checks."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalelab.serving.policy import (
    BakePolicy,
    BakeVerdict,
    LoadSample,
    ReplicaLoad,
    ScaleDecision,
    ScalePolicy,
    bake_verdict,
    decide_scale,
    pick_colour,
    pick_replica,
    signature_mismatch,
)

# --- routing -------------------------------------------------------------------------------


def test_no_replicas_picks_nothing() -> None:
    assert pick_replica([]) is None


def test_picks_the_least_loaded_ready_replica() -> None:
    replicas = [ReplicaLoad("a", 3), ReplicaLoad("b", 1), ReplicaLoad("c", 2)]
    assert pick_replica(replicas) == "b"


def test_not_ready_replicas_are_skipped_however_idle() -> None:
    replicas = [ReplicaLoad("a", 0, ready=False), ReplicaLoad("b", 5)]
    assert pick_replica(replicas) == "b"
    assert pick_replica([ReplicaLoad("a", 0, ready=False)]) is None


def test_excluded_replicas_are_skipped() -> None:
    replicas = [ReplicaLoad("a", 0), ReplicaLoad("b", 4)]
    assert pick_replica(replicas, exclude={"a"}) == "b"
    assert pick_replica(replicas, exclude=["a", "b"]) is None


def test_ties_rotate_with_the_tiebreak() -> None:
    replicas = [ReplicaLoad("a", 1), ReplicaLoad("b", 0), ReplicaLoad("c", 0), ReplicaLoad("d", 0)]
    picks = [pick_replica(replicas, tiebreak=i) for i in range(6)]
    assert picks == ["b", "c", "d", "b", "c", "d"]
    assert Counter(pick_replica(replicas, tiebreak=i) for i in range(300)) == {
        "b": 100,
        "c": 100,
        "d": 100,
    }


def test_a_negative_or_huge_tiebreak_still_picks_a_tied_replica() -> None:
    replicas = [ReplicaLoad("a", 0), ReplicaLoad("b", 0)]
    assert pick_replica(replicas, tiebreak=-1) == "b"
    assert pick_replica(replicas, tiebreak=10**18 + 1) == "b"


replica_lists = st.lists(
    st.builds(
        ReplicaLoad,
        id=st.sampled_from("abcdefgh"),
        in_flight=st.integers(0, 20),
        ready=st.booleans(),
    ),
    max_size=8,
    unique_by=lambda r: r.id,
)


@given(replica_lists, st.sets(st.sampled_from("abcdefgh")), st.integers(-1000, 1000))
def test_pick_replica_returns_an_eligible_replica_with_the_least_load(
    replicas: list[ReplicaLoad], exclude: set[str], tiebreak: int
) -> None:
    eligible = [r for r in replicas if r.ready and r.id not in exclude]
    picked = pick_replica(replicas, exclude, tiebreak)
    if not eligible:
        assert picked is None
        return
    chosen = next(r for r in eligible if r.id == picked)
    assert chosen.in_flight == min(r.in_flight for r in eligible)


def test_share_zero_is_all_blue_and_share_hundred_all_green() -> None:
    draws = [0.0, 0.001, 0.5, 0.999999]
    assert {pick_colour(0, d, green_ready=True) for d in draws} == {"blue"}
    assert {pick_colour(100, d, green_ready=True) for d in draws} == {"green"}


def test_share_fifty_splits_on_the_draw() -> None:
    assert pick_colour(50, 0.0, green_ready=True) == "green"
    assert pick_colour(50, 0.4999, green_ready=True) == "green"
    assert pick_colour(50, 0.5, green_ready=True) == "blue"
    assert pick_colour(50, 0.99, green_ready=True) == "blue"
    colours = Counter(pick_colour(50, i / 1000, green_ready=True) for i in range(1000))
    assert colours == {"green": 500, "blue": 500}


def test_green_is_never_picked_when_not_ready() -> None:
    for share in (0, 50, 100):
        for draw in (0.0, 0.3, 0.99):
            assert pick_colour(share, draw, green_ready=False) == "blue"


@pytest.mark.parametrize("share", [-1, 101])
def test_share_outside_zero_to_hundred_is_refused(share: int) -> None:
    with pytest.raises(ValueError, match="0 to 100"):
        pick_colour(share, 0.5, green_ready=True)


@pytest.mark.parametrize("draw", [-0.1, 1.0, 1.5])
def test_draw_outside_zero_to_one_is_refused(draw: float) -> None:
    with pytest.raises(ValueError, match="draw"):
        pick_colour(50, draw, green_ready=True)


# --- autoscaling ---------------------------------------------------------------------------

POLICY = ScalePolicy(
    min_replicas=1, max_replicas=5, target_in_flight=4.0, up_after=10, down_after=60, window=30
)
NOW = 1000.0
LONG_AGO = 0.0


def steady(
    in_flight: int, *, since: float, until: float = NOW, every: float = 5
) -> list[LoadSample]:
    """A sample every `every` seconds from `since` to `until`, all the same load."""
    count = int((until - since) / every)
    return [LoadSample(since + i * every, in_flight) for i in range(count + 1)]


def test_no_samples_decides_nothing() -> None:
    assert decide_scale(POLICY, [], 2, NOW, LONG_AGO) is None


def test_samples_only_outside_the_window_decide_nothing() -> None:
    old = [LoadSample(NOW - 100, 40), LoadSample(NOW - 50, 40)]
    assert decide_scale(POLICY, old, 2, NOW, LONG_AGO) is None


def test_samples_from_the_future_are_ignored() -> None:
    assert decide_scale(POLICY, [LoadSample(NOW + 1, 40)], 2, NOW, LONG_AGO) is None


def test_scales_up_once_the_load_stayed_high_for_up_after() -> None:
    samples = steady(2, since=NOW - 60, until=NOW - 15) + steady(10, since=NOW - 10)
    d = decide_scale(POLICY, samples, 2, NOW, LONG_AGO)
    assert d is not None and d.replicas == 3
    assert d.reason.endswith(": 2 -> 3")
    assert "4.0 per replica x 2 replicas" in d.reason and "10s" in d.reason


def test_the_reason_names_the_figures() -> None:
    samples = [LoadSample(NOW - 10, 9), LoadSample(NOW - 5, 10), LoadSample(NOW, 9)]
    d = decide_scale(POLICY, samples, 2, NOW, LONG_AGO)
    assert d == ScaleDecision(
        3, "mean 9.3 in flight over 30s; at least 9 for 10s > 4.0 per replica x 2 replicas: 2 -> 3"
    )


def test_no_scale_up_before_up_after() -> None:
    # High for 5 s only: before that the load fitted.
    samples = steady(2, since=NOW - 60, until=NOW - 10) + steady(10, since=NOW - 5)
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None
    # Five seconds later it has been high for 10 s.
    later = [*samples, LoadSample(NOW + 5, 10)]
    d = decide_scale(POLICY, later, 2, NOW + 5, LONG_AGO)
    assert d is not None and d.replicas == 3


def test_no_scale_up_when_the_samples_do_not_cover_up_after() -> None:
    # The first sample ever is 5 s old: the load has not been seen for 10 s.
    samples = steady(20, since=NOW - 5)
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None


def test_a_sample_before_the_span_holds_until_the_next_one() -> None:
    # High at -15 (so at -10 too) and at -3: high for the whole 10 s.
    samples = [LoadSample(NOW - 15, 12), LoadSample(NOW - 3, 12)]
    d = decide_scale(POLICY, samples, 2, NOW, LONG_AGO)
    assert d is not None and d.replicas == 3
    # Low at -15 means the load at -10 was low: not high for 10 s yet.
    samples = [LoadSample(NOW - 15, 1), LoadSample(NOW - 3, 12)]
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None


def test_a_dip_within_up_after_stops_the_scale_up() -> None:
    samples = steady(12, since=NOW - 30)
    samples[-2] = LoadSample(samples[-2].at, 8)  # fits 2 replicas of 4 for a moment
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None


def test_no_scale_up_soon_after_the_last_change() -> None:
    samples = steady(20, since=NOW - 30)
    assert decide_scale(POLICY, samples, 2, NOW, last_change=NOW - 9) is None
    assert decide_scale(POLICY, samples, 2, NOW, last_change=NOW - 10) is not None


def test_scale_up_goes_straight_to_the_wanted_count() -> None:
    samples = steady(15, since=NOW - 30)  # 15 / 4 -> 4 replicas
    d = decide_scale(POLICY, samples, 1, NOW, LONG_AGO)
    assert d is not None and d.replicas == 4
    assert d.reason.endswith(": 1 -> 4") and "x 1 replica:" in d.reason


def test_scale_up_is_capped_at_max() -> None:
    samples = steady(100, since=NOW - 30)
    d = decide_scale(POLICY, samples, 2, NOW, LONG_AGO)
    assert d is not None and d.replicas == 5
    assert decide_scale(POLICY, samples, 5, NOW, LONG_AGO) is None


def test_scale_up_is_at_least_one_when_the_window_mean_is_lower() -> None:
    # Idle most of the 30 s window, but over 2 replicas' worth for the last 10 s.
    policy = ScalePolicy(1, 5, 4.0, up_after=10, down_after=60, window=30)
    samples = steady(0, since=NOW - 30, until=NOW - 15) + steady(9, since=NOW - 10)
    d = decide_scale(policy, samples, 2, NOW, LONG_AGO)
    assert d is not None and d.replicas == 3
    assert "at least 9 for 10s > 4.0 per replica x 2 replicas" in d.reason


def test_scales_down_by_one_after_down_after() -> None:
    samples = steady(1, since=NOW - 120)  # fits one replica
    d = decide_scale(POLICY, samples, 4, NOW, LONG_AGO)
    assert d is not None and d.replicas == 3
    assert d.reason.endswith(": 4 -> 3")
    assert "at most 1 for 60s fits 4.0 per replica x 3 replicas" in d.reason


def test_no_scale_down_before_down_after() -> None:
    samples = steady(20, since=NOW - 120, until=NOW - 50) + steady(1, since=NOW - 45)
    assert decide_scale(POLICY, samples, 4, NOW, LONG_AGO) is None


def test_no_scale_down_when_the_samples_do_not_cover_down_after() -> None:
    samples = steady(0, since=NOW - 59)
    assert decide_scale(POLICY, samples, 3, NOW, LONG_AGO) is None
    samples = steady(0, since=NOW - 60)
    d = decide_scale(POLICY, samples, 3, NOW, LONG_AGO)
    assert d is not None and d.replicas == 2


def test_no_scale_down_soon_after_the_last_change() -> None:
    samples = steady(0, since=NOW - 120)
    assert decide_scale(POLICY, samples, 3, NOW, last_change=NOW - 30) is None
    assert decide_scale(POLICY, samples, 3, NOW, last_change=NOW - 60) is not None


def test_no_scale_down_when_one_sample_needs_every_replica() -> None:
    samples = steady(4, since=NOW - 120)  # fits 1 of 2 replicas
    samples[-3] = LoadSample(samples[-3].at, 5)  # needs 2 replicas
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None


def test_a_load_that_fills_the_replicas_exactly_keeps_them() -> None:
    samples = steady(8, since=NOW - 120)  # 8 in flight at 4 each: 2 replicas, no more, no fewer
    assert decide_scale(POLICY, samples, 2, NOW, LONG_AGO) is None


def test_never_below_min() -> None:
    policy = ScalePolicy(2, 5, 4.0, up_after=10, down_after=60, window=30)
    samples = steady(0, since=NOW - 120)
    assert decide_scale(policy, samples, 2, NOW, LONG_AGO) is None
    d = decide_scale(policy, samples, 3, NOW, LONG_AGO)
    assert d is not None and d.replicas == 2


def test_replicas_outside_changed_bounds_are_clamped_at_once() -> None:
    policy = ScalePolicy(2, 3, 4.0, up_after=10, down_after=60, window=30)
    d = decide_scale(policy, [], 5, NOW, last_change=NOW)
    assert d == ScaleDecision(3, "the replica bounds changed to 2..3: 5 -> 3")
    d = decide_scale(policy, steady(100, since=NOW - 30), 1, NOW, last_change=NOW)
    assert d == ScaleDecision(2, "the replica bounds changed to 2..3: 1 -> 2")


def test_zero_delays_react_to_the_newest_sample() -> None:
    policy = ScalePolicy(1, 5, 4.0, up_after=0, down_after=0, window=30)
    d = decide_scale(policy, [LoadSample(NOW - 40, 0), LoadSample(NOW - 2, 9)], 1, NOW, NOW)
    assert d is not None and d.replicas == 3  # the window holds only the 9: 9 / 4 -> 3
    d = decide_scale(policy, [LoadSample(NOW - 20, 9), LoadSample(NOW - 2, 0)], 3, NOW, NOW)
    assert d is not None and d.replicas == 2


def test_a_fractional_target_does_not_overcount() -> None:
    policy = ScalePolicy(1, 40, 0.1, up_after=0, down_after=0, window=30)
    assert decide_scale(policy, [LoadSample(NOW, 3)], 30, NOW, LONG_AGO) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_replicas": 0}, "min_replicas"),
        ({"min_replicas": 3, "max_replicas": 2}, "below min_replicas"),
        ({"target_in_flight": 0}, "target_in_flight"),
        ({"up_after": -1}, "up_after"),
        ({"down_after": -0.5}, "down_after"),
        ({"window": 0}, "window"),
    ],
)
def test_scale_policy_is_validated(kwargs: dict[str, float], message: str) -> None:
    settings: dict[str, float] = {
        "min_replicas": 1,
        "max_replicas": 3,
        "target_in_flight": 4.0,
        "up_after": 10,
        "down_after": 60,
        "window": 30,
    }
    with pytest.raises(ValueError, match=message):
        ScalePolicy(**{**settings, **kwargs})  # type: ignore[arg-type]


scale_policies = st.builds(
    lambda lo, extra, target, up, down, window: ScalePolicy(
        lo, lo + extra, target, up, down, window
    ),
    st.integers(1, 4),
    st.integers(0, 4),
    st.floats(0.5, 10),
    st.sampled_from([0, 5, 10, 30]),
    st.sampled_from([0, 10, 60]),
    st.sampled_from([10, 30, 60]),
)


@given(
    scale_policies,
    st.lists(st.tuples(st.integers(0, 120), st.integers(0, 60)), max_size=30),
    st.integers(0, 12),
    st.integers(0, 120),
)
def test_decide_scale_stays_within_bounds_and_steps_down_by_one(
    policy: ScalePolicy, raw: list[tuple[int, int]], replicas: int, since_change: int
) -> None:
    samples = [LoadSample(NOW - age, n) for age, n in raw]
    d = decide_scale(policy, samples, replicas, NOW, NOW - since_change)
    if not policy.min_replicas <= replicas <= policy.max_replicas:
        assert d is not None and "bounds changed" in d.reason
    if d is None:
        return
    assert policy.min_replicas <= d.replicas <= policy.max_replicas
    assert d.replicas != replicas
    assert d.reason.endswith(f": {replicas} -> {d.replicas}") and "\n" not in d.reason
    in_bounds = policy.min_replicas <= replicas <= policy.max_replicas
    if in_bounds and d.replicas < replicas:
        assert d.replicas == replicas - 1
        assert since_change >= policy.down_after
    if in_bounds and d.replicas > replicas:
        assert since_change >= policy.up_after
        newest = max(samples, key=lambda s: s.at)
        assert math.ceil(round(newest.in_flight / policy.target_in_flight, 9)) > replicas


# --- bake ----------------------------------------------------------------------------------

BAKE = BakePolicy(seconds=600, max_error_rate=0.05, min_requests=20)


def test_waits_during_the_bake() -> None:
    v = bake_verdict(BAKE, started=0, now=120, requests=40, errors=1)
    assert v.action == "wait"
    assert "120s of 600s" in v.reason and "1 of 40 requests failed" in v.reason


def test_promotes_when_the_period_is_over_and_the_rate_is_fine() -> None:
    v = bake_verdict(BAKE, started=0, now=600, requests=40, errors=2)
    assert v == BakeVerdict(
        "promote", "2 of 40 requests failed (5.0% <= 5.0%) during the 600s bake"
    )


def test_rolls_back_early_on_the_error_rate() -> None:
    v = bake_verdict(BAKE, started=0, now=30, requests=40, errors=3)
    assert v == BakeVerdict("rollback", "3 of 40 requests failed (7.5% > 5.0%) during the bake")


def test_rolls_back_after_the_period_too() -> None:
    assert bake_verdict(BAKE, started=0, now=900, requests=40, errors=3).action == "rollback"


def test_a_bad_rate_on_too_few_requests_waits() -> None:
    v = bake_verdict(BAKE, started=0, now=30, requests=5, errors=5)
    assert v.action == "wait"


def test_low_traffic_promotes_when_the_period_is_over() -> None:
    v = bake_verdict(BAKE, started=0, now=700, requests=5, errors=5)
    assert v.action == "promote"
    assert "only 5 requests" in v.reason and "fewer than the 20 needed" in v.reason
    v = bake_verdict(BAKE, started=0, now=700, requests=0, errors=0)
    assert v.action == "promote" and "only 0 requests" in v.reason


def test_zero_min_requests_judges_any_traffic_and_none() -> None:
    policy = BakePolicy(seconds=60, max_error_rate=0.0, min_requests=0)
    assert bake_verdict(policy, started=0, now=1, requests=1, errors=1).action == "rollback"
    assert bake_verdict(policy, started=0, now=1, requests=0, errors=0).action == "wait"
    assert bake_verdict(policy, started=0, now=60, requests=0, errors=0).action == "promote"


@pytest.mark.parametrize(
    ("seconds", "rate", "minimum", "message"),
    [(-1, 0.05, 20, "seconds"), (60, 1.5, 20, "max_error_rate"), (60, -0.1, 20, "max_error_rate"),
     (60, 0.05, -1, "min_requests")],
)  # fmt: skip
def test_bake_policy_is_validated(seconds: float, rate: float, minimum: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BakePolicy(seconds=seconds, max_error_rate=rate, min_requests=minimum)


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        bake_verdict(BAKE, started=0, now=1, requests=3, errors=4)
    with pytest.raises(ValueError):
        bake_verdict(BAKE, started=0, now=1, requests=-1, errors=0)


# --- signatures ----------------------------------------------------------------------------


def col(name: str, type_: str = "double", required: bool = True) -> dict[str, object]:
    return {"type": type_, "name": name, "required": required}


def tensor(dtype: str, shape: list[int], name: str | None = None) -> dict[str, object]:
    spec: dict[str, object] = {"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}
    if name is not None:
        spec["name"] = name
    return spec


def test_no_live_signature_compares_nothing() -> None:
    assert signature_mismatch(None, None) is None
    assert signature_mismatch(None, [col("a")]) is None


def test_a_new_version_without_a_signature_is_a_mismatch() -> None:
    assert signature_mismatch([col("a")], None) == "the new version has no input signature"


def test_same_columns_in_any_order_match() -> None:
    assert signature_mismatch([col("a"), col("b", "long")], [col("b", "long"), col("a")]) is None


def test_a_missing_column_is_named() -> None:
    reason = signature_mismatch([col("a"), col("b"), col("c")], [col("a")])
    assert reason == "columns missing from the new version: b, c"


def test_a_new_required_column_is_named_and_a_new_optional_one_is_fine() -> None:
    assert signature_mismatch([col("a")], [col("a"), col("z", required=False)]) is None
    assert signature_mismatch([col("a")], [col("a"), col("z")]) == "new required columns: z"


def test_required_defaults_to_true() -> None:
    assert signature_mismatch([col("a")], [col("a"), {"name": "z", "type": "long"}]) == (
        "new required columns: z"
    )


def test_a_column_that_became_required_is_named() -> None:
    reason = signature_mismatch([col("a", required=False)], [col("a")])
    assert reason == "columns now required: a"
    assert signature_mismatch([col("a")], [col("a", required=False)]) is None


def test_a_changed_type_is_named_with_old_and_new() -> None:
    reason = signature_mismatch(
        [col("a"), col("b", "string")], [col("a", "long"), col("b", "string")]
    )
    assert reason == "column types changed: a: double -> long"


def test_nested_types_are_compared_whole() -> None:
    live = [{"type": "array", "items": {"type": "string"}, "name": "tags", "required": True}]
    same = [{"name": "tags", "type": "array", "items": {"type": "string"}}]
    other = [{"name": "tags", "type": "array", "items": {"type": "long"}}]
    assert signature_mismatch(live, same) is None
    reason = signature_mismatch(live, other)
    assert reason is not None and reason.startswith("column types changed: tags: ")
    assert '"long"' in reason and '"string"' in reason


def test_several_problems_make_one_line() -> None:
    reason = signature_mismatch([col("a"), col("b")], [col("a", "long"), col("c")])
    assert reason == (
        "columns missing from the new version: b; new required columns: c; "
        "column types changed: a: double -> long"
    )
    assert "\n" not in reason


def test_named_tensors_compare_by_name_and_spec() -> None:
    live = [tensor("float64", [-1, 4], "x")]
    assert signature_mismatch(live, [tensor("float64", [-1, 4], "x")]) is None
    reason = signature_mismatch(live, [tensor("float32", [-1, 4], "x")])
    assert reason == "column types changed: x: tensor float64 (-1, 4) -> tensor float32 (-1, 4)"


def test_unnamed_tensors_compare_as_a_whole() -> None:
    live = [tensor("float64", [-1, 4])]
    assert signature_mismatch(live, [tensor("float64", [-1, 4])]) is None
    reason = signature_mismatch(live, [tensor("float64", [-1, 5])])
    assert reason == "the inputs changed: [tensor float64 (-1, 4)] -> [tensor float64 (-1, 5)]"


def test_a_tuple_shape_matches_its_json_list() -> None:
    # Schema.to_dict() gives tuples; the same schema read back from JSON gives lists.
    as_dict = [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": (-1, 4)}}]
    assert signature_mismatch(as_dict, [tensor("float64", [-1, 4])]) is None


def test_unnamed_columns_compare_in_order() -> None:
    live = [{"type": "double", "required": True}, {"type": "long", "required": True}]
    swapped = [{"type": "long", "required": True}, {"type": "double", "required": True}]
    assert signature_mismatch(live, list(live)) is None
    reason = signature_mismatch(live, swapped)
    assert reason == "the inputs changed: [double, long] -> [long, double]"


def test_named_columns_against_unnamed_tensors_mismatch() -> None:
    reason = signature_mismatch([col("a")], [tensor("float64", [-1, 1])])
    assert reason == "the inputs changed: [a: double] -> [tensor float64 (-1, 1)]"


def test_an_empty_live_signature_takes_new_optional_columns_only() -> None:
    assert signature_mismatch([], [col("a", required=False)]) is None
    assert signature_mismatch([], [col("a")]) == "new required columns: a"


def test_real_mlflow_schemas() -> None:
    types = pytest.importorskip("mlflow.types.schema")
    live = types.Schema([types.ColSpec("double", "a"), types.ColSpec("long", "b")]).to_dict()
    new = types.Schema([types.ColSpec("long", "b"), types.ColSpec("float", "a")]).to_dict()
    assert signature_mismatch(live, live) is None
    assert signature_mismatch(live, new) == "column types changed: a: double -> float"
