"""Objectives the tuning tests run in worker processes (importable there by module path)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import optuna

# Heartbeats short enough that a dead worker's trial is retried within seconds.
FAST = {"heartbeat_interval": 1, "grace_period": 2}


def spin(seconds: float) -> None:
    """Burn CPU (not sleep) so trials compete for cores as real ones do."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def cpu_bound(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    spin(0.4)
    trial.set_user_attr("pid", os.getpid())
    return (x - 1.0) ** 2


def odd_trials_pruned(trial: optuna.Trial) -> float:
    """Reports 10 on odd trial numbers (pruned by ThresholdPruner(upper=5)), 0 on even ones."""
    trial.suggest_int("n", 0, 1000)
    for step in range(3):
        spin(0.05)
        trial.report(10.0 * (trial.number % 2), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return 0.0


def slow_with_pid_files(trial: optuna.Trial) -> float:
    """Leaves `<$PID_DIR>/<pid>` behind, then takes a while: for killing its parent mid-study."""
    x = trial.suggest_float("x", 0.0, 1.0)
    (Path(os.environ["PID_DIR"]) / str(os.getpid())).touch()
    spin(0.8)
    return x


def where_am_i(trial: optuna.Trial) -> float:
    """Records the worker's working folder and $SCALELAB_TEST_MARK."""
    trial.set_user_attr("cwd", os.getcwd())
    trial.set_user_attr("mark", os.environ.get("SCALELAB_TEST_MARK"))
    return 0.0
