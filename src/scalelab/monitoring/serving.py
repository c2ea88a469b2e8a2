"""Serving windows from an endpoint's request log: profiles of what the model was asked and what
it answered, per hour of the log, stored so that a window is merged, never recomputed.

The gateway writes a sample of answered requests as JSON lines, one file per hour in parts
(`<YYYYmmdd-HH>-<part>.jsonl`, UTC hours; see `scalelab.service.request_log`). Each hour is
profiled once its hour is over and stored as `<store>/<hour>.inputs.whylogs`,
`<hour>.outputs.whylogs` and `<hour>.json` (its counts, written last: a stored hour is one with
its `.json`). The current hour is still growing, so it is profiled again on every call. The log
removes its oldest parts past the endpoint's cap; stored hours stay, so windows can reach
further back than the raw rows.

Bodies are MLflow's scoring protocol (`dataframe_split`, `dataframe_records`, `instances`,
`inputs`); answers `{"predictions": ...}`. A line that is no such request and answer (a cut
line, a CSV body, another protocol) is counted as skipped, never fatal: one odd client must
not blind the monitor. pandas is imported on first use, like whylogs, so importing the package
stays cheap.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .profiles import Profile, merge, profile

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
HOUR_FORMAT = "%Y%m%d-%H"
PART = re.compile(r"(\d{8}-\d{2})-\d+\.jsonl")
STORED = re.compile(r"(\d{8}-\d{2})\.json")
STORE_DIR = "profiles"  # the default store, inside the endpoint's log folder
OK = 200
HOUR = timedelta(hours=1)
# Lines of an hour may still be written a little after it ends (the log flushes every half
# second, from a queue): an hour counts as over, and is profiled for good, this much later.
SETTLE = timedelta(minutes=1)
# Requests profiled at a time: bounds the memory an hour's frames take, whatever its size.
CHUNK_REQUESTS = 2000

Hours = str | datetime | Iterable[str | datetime]


@dataclass(frozen=True)
class WindowProfiles:
    """The requests of a window (an hour, or hours merged): their inputs' rows, the answers'
    rows, how many requests and how many lines were skipped (not a request and answer)."""

    inputs: Profile
    outputs: Profile
    requests: int
    skipped: int = 0


# --- one request ---------------------------------------------------------------------------


def frame_of(inputs: Any) -> pd.DataFrame:
    """The rows of a scoring request's body (parsed JSON), in any of MLflow's four formats.

    Columns are named as strings, as profiles name them: rows of values (a tensor, or
    `instances` of lists) get columns "0", "1", ...; a request of single values one column "0".
    `ValueError` for anything else.
    """
    import pandas as pd

    if not isinstance(inputs, dict):
        raise ValueError(f"not a scoring request: a JSON object, not {type(inputs).__name__}")
    keys = [k for k in FORMATS if k in inputs]
    if len(keys) != 1:
        raise ValueError(f"a scoring request has one of {', '.join(FORMATS)}, not {sorted(inputs)}")
    key = keys[0]
    body = inputs[key]
    try:
        if key == "dataframe_split":
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ValueError("expected {columns, data}")
            df = pd.DataFrame(body["data"], columns=body.get("columns"))
        elif isinstance(body, list) or (key == "inputs" and isinstance(body, dict)):
            df = pd.DataFrame(body)  # records, rows, single values; `inputs` also columns
        else:
            raise ValueError(f"expected a list, not {type(body).__name__}")
    except (TypeError, ValueError) as e:
        raise ValueError(f"{key}: {e}") from e
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"{key}: column names repeat: {names}")
    return df.set_axis(names, axis="columns")


def predictions_of(outputs: Any) -> pd.DataFrame:
    """The rows of a scoring answer: a column `prediction` for single values, the answer's own
    columns for records (a DataFrame's answer) or columns, `prediction_0`, ... for rows of
    values (e.g. class probabilities). `ValueError` for anything else."""
    import pandas as pd

    rows = prediction_rows(outputs)
    if rows and all(isinstance(r, list) for r in rows):
        df = pd.DataFrame(rows)
        return df.set_axis([f"prediction_{c}" for c in df.columns], axis="columns")
    if rows and all(isinstance(r, dict) for r in rows):
        return pd.DataFrame(rows)
    if any(isinstance(r, dict | list) for r in rows):
        raise ValueError("predictions mix single values, rows and records")
    return pd.DataFrame({"prediction": rows})


def prediction_rows(outputs: Any) -> list[Any]:
    """The answer's predictions, one per row of the request, as the answer gave them (columns
    are turned into records). A bare list is taken as predictions (MLflow 1's answers)."""
    import pandas as pd

    found = outputs.get("predictions") if isinstance(outputs, dict) else outputs
    if isinstance(found, list):
        return found
    if isinstance(found, dict):  # columns: {name: [values]}
        try:
            return pd.DataFrame(found).to_dict(orient="records")
        except (TypeError, ValueError) as e:
            raise ValueError(f"predictions: {e}") from e
    raise ValueError(f"not a scoring answer: no list of predictions in {type(outputs).__name__}")


# --- hours ---------------------------------------------------------------------------------


def hour_key(at: datetime) -> str:
    """The log's name for the hour of `at` ("20250131-09"; UTC)."""
    return _utc(at, "at").strftime(HOUR_FORMAT)


def hour_start(key: str) -> datetime:
    """When hour `key` begins; `ValueError` for a name that is no hour of the log."""
    try:
        return datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not an hour of the log (YYYYmmdd-HH): {key!r}") from None


def hours_between(start: datetime, end: datetime) -> list[str]:
    """The hours that begin in [start's hour, end), oldest first."""
    at, last = _utc(start, "start").replace(minute=0, second=0, microsecond=0), _utc(end, "end")
    hours = []
    while at < last:
        hours.append(hour_key(at))
        at += HOUR
    return hours


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{what} needs a timezone (the log's hours are UTC): tzinfo=UTC")
    return at.astimezone(UTC)


def _keys(hours: Hours) -> list[str]:
    items = [hours] if isinstance(hours, str | datetime) else hours
    keys = {hour_key(h) if isinstance(h, datetime) else h for h in items}
    for key in keys:
        hour_start(key)  # checks the name
    return sorted(keys)


def _parts(folder: Path) -> dict[str, list[Path]]:
    parts: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        matched = PART.fullmatch(path.name)
        if matched:
            parts.setdefault(matched[1], []).append(path)
    return parts


# --- windows -------------------------------------------------------------------------------


def window_profiles(
    folder: Path,
    hours: Hours | None = None,
    *,
    store: Path | None = None,
    now: datetime | None = None,
) -> dict[str, WindowProfiles]:
    """The profiles of each hour of endpoint log `folder` (all its hours, or those in `hours`:
    keys or datetimes), by hour key, for the hours with requests logged or stored.

    An hour stored after it was over is read from `store` (default: `<folder>/profiles`); any
    other is profiled from the log and stored, complete or not (the current hour: profiled on
    every call). `now` is for tests.
    """
    store = folder / STORE_DIR if store is None else store
    clock = _utc(now, "now") if now is not None else datetime.now(UTC)
    parts = _parts(folder)
    wanted = sorted(parts.keys() | _stored(store)) if hours is None else _keys(hours)
    found: dict[str, WindowProfiles] = {}
    for hour in wanted:
        stored, complete = _read(store, hour) or (None, False)
        if stored is not None and complete:
            found[hour] = stored
        elif hour in parts:
            found[hour] = _profile_hour(parts[hour])
            _write(store, hour, found[hour], complete=clock >= hour_start(hour) + HOUR + SETTLE)
        elif stored is not None:  # profiled while current; its parts are gone since
            found[hour] = stored
    return found


def window(store: Path, start: datetime, end: datetime) -> WindowProfiles:
    """The stored hours that begin in [start's hour, end), merged (e.g. a day: 24 hours).
    Hours not stored (not profiled yet, or no requests) add nothing."""
    hours = sorted(set(hours_between(start, end)) & _stored(store))
    stored = [s[0] for s in (_read(store, h) for h in hours) if s is not None]
    return WindowProfiles(
        inputs=merge(s.inputs for s in stored),
        outputs=merge(s.outputs for s in stored),
        requests=sum(s.requests for s in stored),
        skipped=sum(s.skipped for s in stored),
    )


def predictions_by_request(folder: Path, hours: Hours) -> dict[str, list[Any]]:
    """The predictions of each answered request of `hours` (one per row it sent), by request
    id, for joining labels that arrive later. From the raw log, so only while the log still
    holds those hours; read an hour at a time and ask for few: the answer holds them all."""
    return {rid: outputs for rid, (_, outputs) in requests_by_id(folder, hours).items()}


def requests_by_id(folder: Path, hours: Hours) -> dict[str, tuple[Any, list[Any]]]:
    """Each answered request of `hours` by request id: (its body as sent, its predictions).
    An evaluation sends the same bodies to another model version."""
    parts = _parts(folder)
    found: dict[str, tuple[Any, list[Any]]] = {}
    for hour in _keys(hours):
        for entry in _entries(parts.get(hour, [])):
            if entry is None or not isinstance(entry.get("request_id"), str):
                continue
            try:
                found[entry["request_id"]] = (
                    entry.get("inputs"),
                    prediction_rows(entry.get("outputs")),
                )
            except ValueError:
                continue
    return found


def _entries(files: list[Path]) -> Iterator[dict[str, Any] | None]:
    """The answered requests' lines of `files` as dicts; None for a line that does not parse.
    Lines of other statuses are left out (the gateway logs only answers; checked all the
    same), and so are blank ones."""
    for path in files:
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        yield None
                        continue
                    if not isinstance(entry, dict):
                        yield None
                    elif entry.get("status") == OK:
                        yield entry
        except FileNotFoundError:
            continue  # removed by the log's cap meanwhile


def _profile_hour(files: list[Path]) -> WindowProfiles:
    inputs: list[Profile] = []
    outputs: list[Profile] = []
    frames: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    requests = skipped = 0

    def flush() -> None:
        inputs.append(profile(_concat([f[0] for f in frames])))
        outputs.append(profile(_concat([f[1] for f in frames])))
        frames.clear()

    for entry in _entries(files):
        try:
            if entry is None:
                raise ValueError("not a JSON object")
            frames.append((frame_of(entry.get("inputs")), predictions_of(entry.get("outputs"))))
        except ValueError:
            skipped += 1
            continue
        requests += 1
        if len(frames) >= CHUNK_REQUESTS:
            flush()
    if frames:
        flush()
    return WindowProfiles(merge(inputs), merge(outputs), requests, skipped)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of all `frames`. Requests without rows only add their columns when no request
    has rows: a column of theirs among others' rows would count as missing in all of them."""
    import pandas as pd

    rows = [f for f in frames if len(f)]
    return pd.concat(rows or frames, ignore_index=True)


def _stored(store: Path) -> set[str]:
    if not store.is_dir():
        return set()
    return {m[1] for p in store.iterdir() if (m := STORED.fullmatch(p.name))}


def _read(store: Path, hour: str) -> tuple[WindowProfiles, bool] | None:
    """Hour `hour` as stored, and whether it was complete; None if not stored (or unreadable:
    then it is profiled again)."""
    try:
        meta = json.loads((store / f"{hour}.json").read_text(encoding="utf-8"))
        profiles = WindowProfiles(
            inputs=Profile.read(store / f"{hour}.inputs.whylogs"),
            outputs=Profile.read(store / f"{hour}.outputs.whylogs"),
            requests=int(meta["requests"]),
            skipped=int(meta["skipped"]),
        )
        return profiles, bool(meta["complete"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(store: Path, hour: str, profiles: WindowProfiles, *, complete: bool) -> None:
    store.mkdir(parents=True, exist_ok=True)
    profiles.inputs.write(store / f"{hour}.inputs.whylogs")
    profiles.outputs.write(store / f"{hour}.outputs.whylogs")
    meta = {
        "hour": hour,
        "requests": profiles.requests,
        "skipped": profiles.skipped,
        "complete": complete,
    }
    fd, tmp = tempfile.mkstemp(dir=store, prefix=f".{hour}.json.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        os.replace(tmp, store / f"{hour}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
