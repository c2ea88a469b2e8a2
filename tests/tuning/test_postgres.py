"""A study in PostgreSQL: the storage URL goes to the workers as it is."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

import scalelab
from tests.pg import Postgres
from tests.tuning.objectives import FAST, cpu_bound


@pytest.mark.postgres
def test_workers_share_a_postgresql_study(postgres: Postgres) -> None:
    url = postgres.create_database("tuning")
    study = scalelab.tune(cpu_bound, n_trials=4, study_name="pg", storage=url, **FAST)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 4
    assert len({t.user_attrs["pid"] for t in complete}) == 2
