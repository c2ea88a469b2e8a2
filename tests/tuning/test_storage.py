"""Where studies live, and how the trials of dead workers are let go."""

from __future__ import annotations

import multiprocessing
import time
import warnings
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from scalelab.tuning.storage import (
    Heartbeat,
    default_storage_url,
    fail_stale_trials,
    open_storage,
    project_workspace,
)


def test_the_workspace_is_the_nearest_folder_marked_scalelab(tmp_path: Path) -> None:
    project = tmp_path / "project"
    notebooks = project / "analysis" / "notebooks"
    notebooks.mkdir(parents=True)
    assert project_workspace(notebooks) == notebooks.resolve()  # no marker: where we are
    (project / ".scalelab").mkdir()
    assert project_workspace(notebooks) == project.resolve()
    assert project_workspace(project) == project.resolve()


def test_the_default_storage_follows_the_environment_and_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".scalelab").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.delenv("SCALELAB_OPTUNA_STORAGE", raising=False)
    expected = tmp_path.resolve() / ".scalelab" / "optuna.sqlite3"
    assert default_storage_url() == f"sqlite:///{expected}"
    monkeypatch.setenv("SCALELAB_OPTUNA_STORAGE", "postgresql+psycopg://db/optuna")
    assert default_storage_url() == "postgresql+psycopg://db/optuna"


def test_a_trial_that_never_sent_a_heartbeat_is_failed_and_retried(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'o.sqlite3'}", Heartbeat(1, 1))
    study = optuna.create_study(storage=storage)
    # RUNNING without any heartbeat: as a worker killed right after creating its trial.
    with pytest.warns(UserWarning, match="Heartbeat"):  # Optuna: ask() sends no heartbeats
        orphan = study.ask()
    orphan.suggest_float("x", 0.0, 1.0)

    fail_stale_trials(study, storage)
    assert study.trials[0].state == TrialState.RUNNING  # within its grace period
    time.sleep(1.2)
    fail_stale_trials(study, storage)

    failed, retry = study.trials
    assert failed.state == TrialState.FAIL
    assert retry.state == TrialState.WAITING and retry.params == failed.params


def test_a_queued_trial_is_taken_by_one_worker_only(tmp_path: Path) -> None:
    """Four processes ask for a trial at the same moment while one retry is queued."""
    url = f"sqlite:///{tmp_path / 'o.sqlite3'}"
    study = optuna.create_study(study_name="queue", storage=open_storage(url, Heartbeat()))
    context = multiprocessing.get_context("spawn")
    numbers = context.Queue()
    start, rounds = time.time() + 2.0, 8
    askers = [
        context.Process(target=_ask_in_rounds, args=(url, start, rounds, numbers)) for _ in range(4)
    ]
    for asker in askers:
        asker.start()
    for r in range(rounds):
        time.sleep(max(0.0, start + r * 0.25 - 0.1 - time.time()))
        study.enqueue_trial({})
    taken = [n for _ in askers for n in numbers.get(timeout=30)]
    for asker in askers:
        asker.join()
    assert len(taken) == 4 * rounds
    assert len(set(taken)) == len(taken), "a trial was handed to two workers"


def _ask_in_rounds(url: str, start: float, rounds: int, numbers: multiprocessing.Queue) -> None:
    warnings.simplefilter("ignore")  # Optuna: heartbeats are meant for optimize(), not ask()
    study = optuna.load_study(study_name="queue", storage=open_storage(url, Heartbeat()))
    taken = []
    for r in range(rounds):
        time.sleep(max(0.0, start + r * 0.25 - time.time()))
        taken.append(study.ask().number)
    numbers.put(taken)
