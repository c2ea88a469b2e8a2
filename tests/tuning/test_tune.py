"""scalelab.tune on the local pool: parallel workers, pruning, dead workers, resuming."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import scalelab
from tests.tuning.objectives import FAST, cpu_bound, odd_trials_pruned, spin, where_am_i
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'optuna.sqlite3'}"


def test_two_workers_share_the_trials(tmp_path: Path) -> None:
    study = scalelab.tune(
        cpu_bound, n_trials=6, n_workers=2, study_name="cpu", storage=sqlite_url(tmp_path), **FAST
    )
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 6
    assert len({t.number for t in complete}) == 6
    pids = {t.user_attrs["pid"] for t in complete}
    assert len(pids) == 2 and os.getpid() not in pids


def test_workers_see_the_environment_and_folder_of_each_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers come from a fork server started at an earlier call, with that call's state.
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("SCALELAB_TEST_MARK", "first")
    scalelab.tune(where_am_i, n_trials=1, n_workers=1, study_name="first", storage=url)
    monkeypatch.setenv("SCALELAB_TEST_MARK", "second")
    (tmp_path / "later").mkdir()
    monkeypatch.chdir(tmp_path / "later")
    study = scalelab.tune(where_am_i, n_trials=1, n_workers=1, study_name="second", storage=url)
    assert study.trials[0].user_attrs == {"cwd": str(tmp_path / "later"), "mark": "second"}


def test_pruned_trials_count_toward_n_trials(tmp_path: Path) -> None:
    study = scalelab.tune(
        odd_trials_pruned,
        n_trials=6,
        study_name="pruning",
        storage=sqlite_url(tmp_path),
        pruner=optuna.pruners.ThresholdPruner(upper=5.0),
        **FAST,
    )
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert pruned and all(t.number % 2 == 1 for t in pruned)
    assert len(study.get_trials(states=COUNTED)) == 6


def test_a_killed_workers_trial_fails_and_is_retried(tmp_path: Path) -> None:
    marker = tmp_path / "killed-once"

    def dies_on_trial_2(trial: optuna.Trial) -> float:  # defined here: shipped by value
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 2 and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        spin(0.2)
        return x

    options = dict(n_trials=6, n_workers=2, study_name="killed", storage=sqlite_url(tmp_path))
    scalelab.tune(dies_on_trial_2, **options, **FAST)
    study = scalelab.tune(dies_on_trial_2, **options, **FAST)  # resuming a full study: no-op

    assert marker.exists()
    by_number = {t.number: t for t in study.trials}
    assert by_number[2].state == TrialState.FAIL
    assert not study.get_trials(states=(TrialState.RUNNING,))
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 6
    assert len({t.params["x"] for t in complete}) == 6
    retries = [t for t in complete if t.system_attrs.get("failed_trial") == 2]
    assert len(retries) == 1 and retries[0].params == by_number[2].params


def test_a_study_whose_main_process_was_killed_resumes(tmp_path: Path) -> None:
    """As when a kernel restarts mid-study: its workers end too, the next call finishes."""
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    url = sqlite_url(tmp_path)
    code = (
        "import scalelab\n"
        "from tests.tuning.objectives import FAST, slow_with_pid_files\n"
        f"scalelab.tune(slow_with_pid_files, n_trials=8, study_name='restarted', storage={url!r},"
        " **FAST)\n"
    )
    # Created here first: two processes creating one SQLite schema at once may collide.
    optuna.create_study(study_name="restarted", storage=url)
    log = tmp_path / "main.log"
    with log.open("wb") as output:
        main = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "PID_DIR": str(pid_dir)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: _finished(url, "restarted") >= 2, timeout=30, message=log.read_text)
    finally:
        main.kill()
        main.wait()
    workers = [int(p.name) for p in pid_dir.iterdir()]
    wait_until(lambda: not any(_alive(pid) for pid in workers), timeout=10)
    assert _finished(url, "restarted") < 8

    study = scalelab.tune(quick, n_trials=8, study_name="restarted", storage=url, **FAST)
    assert len(study.get_trials(states=COUNTED)) == 8
    assert not study.get_trials(states=(TrialState.RUNNING,))
    assert study.get_trials(states=(TrialState.FAIL,))  # the trials cut off by the kill


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        ({"n_trials": 0}, ValueError, "n_trials must be at least 1"),
        ({"n_workers": 0}, ValueError, "n_workers must be at least 1"),
        ({"n_trials": 2.5}, TypeError, "n_trials must be an int"),
        ({"executor": "ray"}, ValueError, "unknown executor 'ray' (known: dask, local)"),
        ({"objective": 42}, TypeError, "objective must be a function"),
        ({"direction": "up"}, ValueError, "direction must be 'minimize' or 'maximize'"),
        ({"timeout": -1}, ValueError, "timeout must be positive"),
        ({"storage": "optuna.db"}, ValueError, "storage is not a database URL: 'optuna.db'"),
        ({"storage": "sqlite://"}, ValueError, "in-memory SQLite database cannot be shared"),
        ({"storage": 3}, TypeError, "storage must be a database URL"),
    ],
)
def test_bad_input_is_refused_before_anything_starts(
    tmp_path: Path, arguments: dict[str, object], error: type[Exception], says: str
) -> None:
    call: dict[str, object] = {"objective": cpu_bound, "storage": sqlite_url(tmp_path)}
    call.update(arguments)
    with pytest.raises(error) as raised:
        scalelab.tune(**call)  # type: ignore[arg-type]
    assert says in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "optuna.sqlite3").exists()


def test_an_existing_study_keeps_its_direction(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    optuna.create_study(study_name="fixed", storage=url, direction="maximize")
    with pytest.raises(ValueError, match="exists with direction maximize, not minimize"):
        scalelab.tune(cpu_bound, study_name="fixed", storage=url, direction="minimize")


def test_an_objective_error_reaches_the_caller(tmp_path: Path) -> None:
    def broken(trial: optuna.Trial) -> float:
        raise ZeroDivisionError("no luck")

    with pytest.raises(scalelab.tuning.TuningFailed, match="ZeroDivisionError: no luck"):
        scalelab.tune(broken, n_trials=2, study_name="broken", storage=sqlite_url(tmp_path))


def _finished(url: str, name: str) -> int:
    study = optuna.load_study(study_name=name, storage=url)
    return len(study.get_trials(deepcopy=False, states=COUNTED))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits for its (gone) parent to read its status.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def quick(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_timeout_stops_starting_trials(tmp_path: Path) -> None:
    started = time.monotonic()
    study = scalelab.tune(
        cpu_bound, n_trials=100, study_name="timed", storage=sqlite_url(tmp_path), timeout=2, **FAST
    )
    assert time.monotonic() - started < 15
    assert 0 < len(study.get_trials(states=COUNTED)) < 100
