"""TuningMonitor's Python side: trials, best-so-far, importances, from memory and SQLite."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import optuna
import pytest

from scalelab.widgets import TuningMonitor, tuning
from tests.waiting import wait_until

from .conftest import Closer

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -4, 4)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (x - 1) ** 2 + (0.5 if kind == "b" else 0.0)


def test_trials_best_so_far_and_importances(closing: Closer) -> None:
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=12)

    def fails(trial: optuna.Trial) -> float:
        trial.suggest_float("x", -4, 4)
        raise RuntimeError("boom")

    study.optimize(fails, n_trials=1, catch=(RuntimeError,))
    monitor = closing(TuningMonitor(study, refresh_seconds=10))
    assert monitor.refresh()

    assert monitor.error == ""
    assert monitor.study_info == {"name": study.study_name, "directions": ["minimize"]}
    assert [t["number"] for t in monitor.trials] == list(range(13))
    assert monitor.trials[-1]["state"] == "FAIL" and monitor.trials[-1]["values"] is None
    first = monitor.trials[0]
    assert set(first["params"]) == {"x", "kind"} and first["duration"] >= 0
    assert monitor.param_names == ["kind", "x"]

    best = monitor.best
    assert len(best) == 12
    values = [value for _, _, value in best]
    assert values == sorted(values, reverse=True), "best-so-far got worse"
    assert best[-1][1:] == [study.best_trial.number, study.best_value]
    assert set(monitor.importances) == {"x", "kind"}
    assert sum(monitor.importances.values()) == pytest.approx(1.0)


def test_importances_wait_for_two_complete_trials(closing: Closer) -> None:
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    monitor = closing(TuningMonitor(study, refresh_seconds=10))
    assert monitor.refresh()
    assert monitor.importances == {} and len(monitor.best) == 1


def test_importances_never_on_the_calling_thread(
    closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = tuning.trials_source.importances

    def spy(study: optuna.Study) -> dict[str, float]:
        threads.append(threading.current_thread())
        return real(study)

    monkeypatch.setattr(tuning.trials_source, "importances", spy)
    study = optuna.create_study()
    study.optimize(objective, n_trials=3)
    monitor = closing(TuningMonitor(study, refresh_seconds=10))
    assert monitor.refresh()
    assert threads and threading.current_thread() not in threads


def test_trials_from_another_process_appear(
    tmp_path: Path, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.sqlite3'}"
    monkeypatch.setenv("SCALELAB_OPTUNA_STORAGE", url)
    optuna.create_study(study_name="search", storage=url).optimize(objective, n_trials=2)
    monitor = closing(TuningMonitor("search", refresh_seconds=0.3))
    assert monitor.refresh()
    assert len(monitor.trials) == 2

    code = (
        "import optuna\n"
        f"s = optuna.load_study(study_name='search', storage={url!r})\n"
        "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    wait_until(lambda: len(monitor.trials) == 5, 10)
    assert len(monitor.best) == 5


def test_missing_storage_or_study_is_one_line(
    tmp_path: Path, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCALELAB_OPTUNA_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    monitor = closing(TuningMonitor("search", refresh_seconds=0.2))
    assert monitor.refresh()
    database = tmp_path.resolve() / ".scalelab" / "optuna.sqlite3"
    url = f"sqlite:///{database}"
    assert monitor.error == f"no Optuna storage at {url}"
    assert not database.exists(), "looking created a database"

    optuna.create_study(study_name="other", storage=url)
    assert monitor.refresh()
    assert monitor.error == f"Optuna study 'search' not found in {url}"
    optuna.create_study(study_name="search", storage=url).optimize(objective, n_trials=1)
    wait_until(lambda: monitor.loaded and monitor.error == "", 5)
    assert len(monitor.trials) == 1


def test_several_objectives_show_values_without_best(closing: Closer) -> None:
    study = optuna.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), 3)
    monitor = closing(TuningMonitor(study, refresh_seconds=10))
    assert monitor.refresh()
    assert len(monitor.trials[0]["values"]) == 2
    assert monitor.best == [] and monitor.importances == {}


def test_mimebundle_has_a_static_table(closing: Closer) -> None:
    study = optuna.create_study(study_name="lr<search>")
    study.optimize(objective, n_trials=3)
    monitor = closing(TuningMonitor(study, refresh_seconds=10))
    data, _ = monitor._repr_mimebundle_()
    html = data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "Optuna study lr&lt;search&gt;: best" in html
    assert html.count("<tr><td>") == 3 and "COMPLETE" in html and "<th>x</th>" in html
