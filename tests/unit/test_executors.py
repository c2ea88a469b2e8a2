"""Executors by short name: the entry points that the config and `scalelab run` both read."""

from __future__ import annotations

import pytest

from scalelab.errors import InvalidInput
from scalelab.runs.dask import DaskExecutor
from scalelab.runs.executor import LocalExecutor
from scalelab.runs.executors import executor_names, find_executor
from scalelab.service.app import ScaleLab


def test_short_names_resolve_to_the_executors() -> None:
    assert {"local", "dask"} <= set(executor_names())
    assert find_executor("local") is LocalExecutor
    assert find_executor("dask") is DaskExecutor
    assert find_executor("Dask") is DaskExecutor  # as JupyterHub: names are not case-sensitive
    assert find_executor("scalelab.runs.dask.DaskExecutor") is DaskExecutor


@pytest.mark.parametrize(
    "name", ["nope", "scalelab.runs.nope.Executor", "scalelab.errors.NotFound"]
)
def test_anything_else_is_refused_with_the_names_there_are(name: str) -> None:
    with pytest.raises(InvalidInput, match=r"unknown executor .*dask, local"):
        find_executor(name)


def test_the_service_option_takes_the_same_names() -> None:
    app = ScaleLab()
    assert app.executor_class is LocalExecutor
    app.executor_class = "dask"
    assert app.executor_class is DaskExecutor
    app.executor_class = "scalelab.runs.executor.LocalExecutor"
    assert app.executor_class is LocalExecutor
    assert "dask: scalelab.runs.dask.DaskExecutor" in ScaleLab.class_traits()["executor_class"].help


def test_only_the_local_executor_keeps_a_kernel_pool() -> None:
    assert hasattr(LocalExecutor(), "pool")
    dask = DaskExecutor()
    assert not hasattr(dask, "pool") and "pool_size" not in dask.trait_names()
    assert dask.max_parallel == 2  # the shared step options stay
