"""An Optuna study's trials as compact JSON for the TuningMonitor.

optuna is imported inside functions, like mlflow: importing the widgets should stay quick.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._base import json_number

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial


class StudyMissing(LookupError):
    pass


def storage_url() -> str:
    """The project's storage, as the tuning helpers that fill it choose it."""
    from ..tuning import default_storage_url

    return default_storage_url()


def safe_storage(url: str) -> str:
    """`url` without a password, for messages."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, userinfo = head.partition("://")
    return f"{scheme}://{userinfo.split(':', 1)[0]}@{tail}"


def open_study(name: str, url: str) -> Study:
    import optuna

    if url.startswith("sqlite:///"):
        # Optuna would create an empty database where the user only wanted to look.
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise StudyMissing(f"no Optuna storage at {url}")
    try:
        return optuna.load_study(study_name=name, storage=url)
    except KeyError:
        raise StudyMissing(f"Optuna study {name!r} not found in {safe_storage(url)}") from None


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _param(value: object) -> object:
    return json_number(value) if isinstance(value, float) else value


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": None if trial.values is None else [json_number(v) for v in trial.values],
        "params": {k: _param(v) for k, v in trial.params.items()},
        "start": _millis(trial.datetime_start),
        "end": _millis(trial.datetime_complete),
        "duration": None if trial.duration is None else trial.duration.total_seconds(),
    }


def best_series(trials: list[FrozenTrial], minimize: bool) -> list[list[Any]]:
    """[completion time (ms), best trial's number, best value] at each complete trial."""
    from optuna.trial import TrialState

    done = [t for t in trials if t.state == TrialState.COMPLETE]
    done.sort(key=lambda t: (t.datetime_complete or datetime.max, t.number))
    series: list[list[Any]] = []
    best_value: float | None = None
    best_number = -1
    for trial in done:
        value = trial.value
        if value is None:
            continue
        if best_value is None or (value < best_value if minimize else value > best_value):
            best_value, best_number = value, trial.number
        series.append([_millis(trial.datetime_complete), best_number, json_number(best_value)])
    return series


def importances(study: Study) -> dict[str, float]:
    """Optuna's parameter importances, or {} when they cannot be computed (too few trials,
    one value per parameter, several objectives): the widget then just omits them."""
    import optuna

    try:
        found = optuna.importance.get_param_importances(study)
    # Optuna raises ValueError, RuntimeError or errors of its evaluators for studies it cannot
    # judge; none of them is the user's problem while trials are still coming in.
    except Exception:
        return {}
    return {k: float(v) for k, v in found.items()}
