"""Serving windows from the request log, written as the gateway writes it: the four scoring
formats, each hour profiled once when over and again while current, windows merged from stored
hours, odd lines skipped and counted, and drift from a reference found in a shifted window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scalelab.monitoring import (
    Profile,
    drift_report,
    frame_of,
    predictions_by_request,
    predictions_of,
    profile,
    serving,
    window,
    window_profiles,
)
from scalelab.service.request_log import LoggedRequest

H0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
LATER = H0 + timedelta(hours=5)  # both hours are over
ROWS = pd.DataFrame({"x": [1.5, 2.5, 3.5], "colour": ["red", "green", "red"]})


def bodies(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """`df` in each of MLflow's scoring formats."""
    records = df.to_dict(orient="records")
    return {
        "dataframe_split": {
            "dataframe_split": {"columns": list(df.columns), "data": df.values.tolist()}
        },
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs": {"inputs": df.to_dict(orient="list")},
    }


def line(
    request_id: str,
    at: datetime,
    inputs: Any,
    outputs: Any = None,
    status: int = 200,
) -> str:
    def raw(body: Any) -> bytes:
        return body if isinstance(body, bytes) else json.dumps(body).encode()

    if outputs is None:
        outputs = {"predictions": [0] * len(frame_of(inputs))}
    return LoggedRequest(
        folder=Path("unused"),
        request_id=request_id,
        at=at.timestamp(),
        version="model/1",
        colour="blue",
        status=status,
        latency_ms=2.0,
        inputs=raw(inputs),
        outputs=raw(outputs),
    ).line()


def write(folder: Path, hour: datetime, lines: list[str], part: int = 0) -> Path:
    """Append `lines` to a part of `hour`, as the log does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hour:%Y%m%d-%H}-{part:05d}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path


def requests_of(hour: datetime, df: pd.DataFrame, n: int, prefix: str) -> list[str]:
    body = bodies(df)["dataframe_split"]
    return [line(f"{prefix}{i}", hour + timedelta(seconds=i), body) for i in range(n)]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the DataFrames profiled by `serving`: the work a stored hour must not redo."""
    counted: list[int] = []

    def counting(df: pd.DataFrame) -> Profile:
        counted.append(len(df))
        return profile(df)

    monkeypatch.setattr(serving, "profile", counting)
    return counted


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_frame_of_each_scoring_format(fmt: str) -> None:
    df = frame_of(bodies(ROWS)[fmt])
    pd.testing.assert_frame_equal(df[["x", "colour"]], ROWS, check_dtype=False)


def test_frame_of_tensors_and_refusals() -> None:
    assert list(frame_of({"instances": [[1, 2], [3, 4]]}).columns) == ["0", "1"]
    assert frame_of({"inputs": [5, 6, 7]})["0"].tolist() == [5, 6, 7]
    empty = frame_of({"dataframe_split": {"columns": ["x"], "data": []}})
    assert (list(empty.columns), len(empty)) == (["x"], 0)
    # Extra keys besides the format (MLflow's `params`) are not rows.
    assert len(frame_of({"inputs": {"x": [1]}, "params": {"k": 1}})) == 1
    for bad in ("a,b\n1,2", [1, 2], {"rows": []}, {"inputs": [1], "instances": [1]}):
        with pytest.raises(ValueError, match="scoring request"):
            frame_of(bad)
    with pytest.raises(ValueError, match="dataframe_split"):
        frame_of({"dataframe_split": {"columns": ["x"], "data": [[1, 2]]}})
    with pytest.raises(ValueError, match="repeat"):
        frame_of({"dataframe_split": {"columns": ["x", "x"], "data": [[1, 2]]}})


def test_predictions_of_answers() -> None:
    assert predictions_of({"predictions": [0, 1]}).to_dict("list") == {"prediction": [0, 1]}
    assert list(predictions_of({"predictions": [[0.2, 0.8]]}).columns) == [
        "prediction_0",
        "prediction_1",
    ]
    records = predictions_of({"predictions": [{"label": "a", "p": 0.9}]})
    assert records.to_dict("list") == {"label": ["a"], "p": [0.9]}
    assert predictions_of({"predictions": {"p": [0.1, 0.2]}})["p"].tolist() == [0.1, 0.2]
    for bad in ({"error": "boom"}, "text", {"predictions": [1, [2]]}):
        with pytest.raises(ValueError):
            predictions_of(bad)


def test_an_hour_of_every_format_is_profiled_once(tmp_path: Path, calls: list[int]) -> None:
    log, store = tmp_path / "log", tmp_path / "store"
    write(log, H0, [line(fmt, H0, body) for fmt, body in bodies(ROWS).items()])

    hours = window_profiles(log, store=store, now=LATER)
    assert list(hours) == ["20250301-09"]
    got = hours["20250301-09"]
    assert (got.requests, got.skipped, got.inputs.rows, got.outputs.rows) == (4, 0, 12, 12)
    assert got.inputs.columns["colour"].frequent is not None
    assert got.inputs.columns["colour"].frequent.counts() == {"red": 8, "green": 4}
    assert got.outputs.column_names == ("prediction",)
    stored = store / "20250301-09.inputs.whylogs"
    assert stored.is_file() and json.loads((store / "20250301-09.json").read_text())["complete"]
    assert calls == [12, 12]  # the hour's inputs and answers, each profiled in one go
    profiled, before = len(calls), stored.stat().st_mtime_ns

    again = window_profiles(log, ["20250301-09"], store=store, now=LATER + timedelta(days=1))
    assert len(calls) == profiled  # read back, not profiled again
    assert stored.stat().st_mtime_ns == before
    assert (again["20250301-09"].requests, again["20250301-09"].inputs.rows) == (4, 12)


def test_the_default_store_is_in_the_log_folder(tmp_path: Path) -> None:
    write(tmp_path, H0, requests_of(H0, ROWS, 1, "r"))
    window_profiles(tmp_path, H0, now=LATER)
    assert (tmp_path / "profiles" / "20250301-09.json").is_file()


def test_a_window_merges_stored_hours(tmp_path: Path, calls: list[int]) -> None:
    log, store = tmp_path / "log", tmp_path / "store"
    write(log, H0, requests_of(H0, ROWS, 3, "a"))
    write(log, H1, requests_of(H1, ROWS, 2, "b"))
    write(log, H1, requests_of(H1, ROWS.head(1), 1, "c"), part=1)  # a second part of H1
    hours = window_profiles(log, store=store, now=LATER)
    assert {h: (p.requests, p.inputs.rows) for h, p in hours.items()} == {
        "20250301-09": (3, 9),
        "20250301-10": (3, 7),
    }
    profiled = len(calls)

    both = window(store, H0, H1 + timedelta(hours=1))
    assert (both.requests, both.inputs.rows, both.outputs.rows) == (6, 16, 16)
    assert both.inputs.columns["x"].count == 16
    assert len(calls) == profiled  # merged from the stored hours, never from rows
    # A window starting mid-hour takes that hour; one ending at an hour's start does not.
    assert window(store, H0 + timedelta(minutes=30), H1).requests == 3
    assert window(store, H0, H1 + timedelta(microseconds=1)).requests == 6
    assert window(store, H1, LATER).requests == 3
    nothing = window(store, LATER, LATER + timedelta(hours=3))
    assert (nothing.requests, nothing.inputs.rows) == (0, 0)
    with pytest.raises(ValueError, match="timezone"):
        window(store, datetime(2025, 3, 1, 9), LATER)


def test_an_hour_is_profiled_in_chunks_of_requests(
    tmp_path: Path, calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "CHUNK_REQUESTS", 2)
    empty = bodies(ROWS.head(0).assign(y=[]))["dataframe_split"]
    write(tmp_path, H0, [*requests_of(H0, ROWS, 4, "a"), line("empty", H0, empty)])
    got = window_profiles(tmp_path, store=tmp_path / "store", now=LATER)["20250301-09"]
    assert calls == [6, 6, 6, 6, 0, 0]  # chunks of two requests, then one without rows
    assert (got.requests, got.inputs.rows, got.outputs.rows) == (5, 12, 12)
    # Its column is listed, not counted missing in the other requests' rows.
    assert got.inputs.column_names == ("colour", "x", "y")
    assert got.inputs.columns["y"].count == 0


def test_odd_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    good = requests_of(H0, ROWS, 2, "ok")
    odd = [
        "not json at all",
        '{"request_id": "cut", "inputs": {"dataframe_split"',  # a line cut short
        "[1, 2]",
        line("csv", H0, b"x,colour\n1.5,red", {"predictions": [0]}),
        line("no-answer", H0, bodies(ROWS)["inputs"], b"upstream said no"),
    ]
    refused = line("refused", H0, bodies(ROWS)["inputs"], {"error": "bad"}, status=500)
    write(tmp_path, H0, [good[0], *odd, "", refused, good[1]])
    got = window_profiles(tmp_path, store=tmp_path / "store", now=LATER)["20250301-09"]
    # A status other than 200 is left out, not counted: the gateway logs answers only.
    assert (got.requests, got.skipped, got.inputs.rows) == (2, len(odd), 6)


def test_the_current_hour_is_profiled_again(tmp_path: Path, calls: list[int]) -> None:
    store = tmp_path / "store"
    write(tmp_path, H0, requests_of(H0, ROWS, 1, "a"))
    during = H0 + timedelta(minutes=20)
    assert window_profiles(tmp_path, H0, store=store, now=during)["20250301-09"].requests == 1
    assert not json.loads((store / "20250301-09.json").read_text())["complete"]

    write(tmp_path, H0, requests_of(H0 + timedelta(minutes=25), ROWS, 2, "b"))
    growing = window_profiles(tmp_path, H0, store=store, now=during + timedelta(minutes=10))
    assert growing["20250301-09"].requests == 3
    assert window(store, H0, H1).requests == 3  # the stored hour is the newest profile
    # Lines may land just after the hour: it is profiled for good only once settled.
    just_after = H1 + serving.SETTLE / 2
    window_profiles(tmp_path, H0, store=store, now=just_after)
    assert not json.loads((store / "20250301-09.json").read_text())["complete"]
    window_profiles(tmp_path, H0, store=store, now=H1 + serving.SETTLE)
    assert json.loads((store / "20250301-09.json").read_text())["complete"]
    profiled = len(calls)
    assert profiled == 2 * 4  # inputs and answers, on each of the four calls so far
    window_profiles(tmp_path, H0, store=store, now=LATER)
    assert len(calls) == profiled


def test_a_stored_hour_outlives_its_log(tmp_path: Path) -> None:
    store = tmp_path / "store"
    part = write(tmp_path / "log", H0, requests_of(H0, ROWS, 2, "a"))
    window_profiles(tmp_path / "log", store=store, now=LATER)
    part.unlink()  # the log's cap removed it
    assert window_profiles(tmp_path / "log", store=store, now=LATER)["20250301-09"].requests == 2
    assert window(store, H0, H1).requests == 2


def test_predictions_by_request(tmp_path: Path) -> None:
    write(tmp_path, H0, [line("a", H0, bodies(ROWS)["inputs"], {"predictions": [1, 0, 1]})])
    write(
        tmp_path,
        H1,
        [
            line("b", H1, bodies(ROWS.head(1))["instances"], {"predictions": [{"p": 0.7}]}),
            line("c", H1, bodies(ROWS.head(1))["instances"], "not an answer"),
            "garbage",
        ],
    )
    assert predictions_by_request(tmp_path, "20250301-09") == {"a": [1, 0, 1]}
    assert predictions_by_request(tmp_path, [H0, H1]) == {"a": [1, 0, 1], "b": [{"p": 0.7}]}
    assert predictions_by_request(tmp_path, ["20250301-11"]) == {}
    with pytest.raises(ValueError, match="YYYYmmdd-HH"):
        predictions_by_request(tmp_path, ["2025-03-01T09"])


def test_drift_from_a_reference_in_a_shifted_window(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)

    def batch(shift: float, n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": rng.normal(shift, 1.0, n), "colour": rng.choice(["a", "b"], n)})

    reference = profile(batch(0.0, 2000))
    log, store = tmp_path / "log", tmp_path / "store"
    for hour, shift in ((H0, 0.0), (H1, 1.0)):
        write(
            log,
            hour,
            [
                line(f"{hour:%H}-{i}", hour, bodies(batch(shift, 50))["dataframe_split"])
                for i in range(20)
            ],
        )
    window_profiles(log, store=store, now=LATER)

    steady = {d.column: d for d in drift_report(reference, window(store, H0, H1).inputs)}
    shifted = {d.column: d for d in drift_report(reference, window(store, H1, LATER).inputs)}
    assert steady["x"].category == "no drift" and shifted["x"].category == "drift"
    assert steady["colour"].category == shifted["colour"].category == "no drift"
