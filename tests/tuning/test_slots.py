"""The guards that keep parallel workers to exactly n_trials finished trials."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from scalelab.tuning.slots import NOT_NEEDED, NotNeeded, TrialSlots


@pytest.fixture
def storage(tmp_path: Path) -> optuna.storages.RDBStorage:
    return optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'o.sqlite3'}")


def started(storage: optuna.storages.RDBStorage, finished: int) -> optuna.Study:
    study = optuna.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=finished)
    return study


def test_a_full_study_has_no_free_slot(storage: optuna.storages.RDBStorage) -> None:
    study = started(storage, finished=2)
    assert TrialSlots(study, storage, 3, deadline=None).wait_for_free_slot()
    assert not TrialSlots(study, storage, 2, deadline=None).wait_for_free_slot()


def test_a_trial_started_in_a_race_for_the_last_slot_does_not_run(
    storage: optuna.storages.RDBStorage,
) -> None:
    study = started(storage, finished=1)
    first, late = study.ask(), study.ask()  # both started when one slot was left
    ran: list[int] = []

    def objective(trial: optuna.Trial) -> float:
        ran.append(trial.number)
        return 1.0

    gated = TrialSlots(study, storage, 2, deadline=None, poll=0.05).gate(objective)
    study.tell(first, gated(first))
    with pytest.raises(NotNeeded):
        gated(late)
    assert ran == [first.number]
    assert study.trials[late.number].user_attrs[NOT_NEEDED] is True
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2
