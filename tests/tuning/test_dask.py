"""The dask trial pool against a real LocalCluster (worker processes, a scheduler over TCP)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState

import scalelab
from tests.tuning.objectives import FAST, cpu_bound


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    import dask
    from distributed import LocalCluster

    scratch = str(tmp_path / "dask")
    with (
        dask.config.set({"temporary-directory": scratch}),  # not /tmp/dask-scratch-space
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=scratch,
        ) as cluster,
    ):
        yield cluster.scheduler_address


def test_trials_run_as_dask_tasks(tmp_path: Path, scheduler: str) -> None:
    host_port = scheduler.removeprefix("tcp://")
    study = scalelab.tune(
        cpu_bound,
        n_trials=4,
        n_workers=2,
        study_name="on-dask",
        storage=f"sqlite:///{tmp_path / 'optuna.sqlite3'}",
        executor=f"dask://{host_port}",
        **FAST,
    )
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 4
    assert os.getpid() not in {t.user_attrs["pid"] for t in complete}


def test_the_scheduler_may_come_from_the_environment(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALELAB_DASK_SCHEDULER", scheduler)
    study = scalelab.tune(
        cpu_bound,
        n_trials=2,
        study_name="on-dask-env",
        storage=f"sqlite:///{tmp_path / 'optuna.sqlite3'}",
        executor="dask",
        **FAST,
    )
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


def test_the_dask_pool_needs_a_scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALELAB_DASK_SCHEDULER", raising=False)
    with pytest.raises(ValueError, match=r"set \$SCALELAB_DASK_SCHEDULER or pass executor="):
        scalelab.tune(cpu_bound, storage=f"sqlite:///{tmp_path / 'o.sqlite3'}", executor="dask")
