"""A job becomes a plan the same way wherever it comes from; unset options are the executor's."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from scalelab.errors import InvalidInput
from scalelab.runs.executor import LocalExecutor, new_record
from scalelab.runs.job import ExecutionOptions, Job, plan_job
from scalelab.runs.parameters import json_default
from scalelab.runs.records import Run, RunFolder
from scalelab.service.models import RunCreate, ScheduleCreate
from scalelab.service.runs import describe_parameters
from scalelab.store.models import ScheduleRow
from tests.runs.conftest import write_notebook

FLAKY = (
    "import pathlib\nmark = pathlib.Path(marker)\n"
    "if not mark.exists():\n    mark.touch()\n    raise RuntimeError('first try fails')"
)


def test_a_job_plans_with_its_options_and_leaves_the_unset_ones_to_the_executor(
    tmp_path: Path,
) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1\nlabel = 'x'", "print(n)")
    unset = plan_job(Job(target="nb.ipynb", parameters={"n": 3}), tmp_path)
    assert (unset.fresh, unset.retries, unset.step_timeout, unset.run_as) == (None,) * 4
    assert unset.parameters == {"n": 3} and unset.steps[0].parameters == {"n": 3}
    options = ExecutionOptions(fresh=False, retries=0, timeout=2.5)
    given = plan_job(Job(target="nb.ipynb", options=options), tmp_path, run_as="someone")
    assert (given.fresh, given.retries, given.step_timeout, given.run_as) == (
        False,
        0,
        2.5,
        "someone",
    )
    typed = plan_job(Job(target="nb.ipynb", parameters={"n": "7"}), tmp_path, from_text=True)
    assert typed.parameters == {"n": 7}
    with pytest.raises(InvalidInput, match="expects int"):
        plan_job(Job(target="nb.ipynb", parameters={"n": "7"}), tmp_path)


@pytest.mark.parametrize(
    "options", [{"retries": 6}, {"retries": -1}, {"timeout": 0}, {"fresh": "maybe"}, {"x": 1}]
)
def test_options_are_checked_alike_everywhere(options: dict) -> None:
    with pytest.raises(ValidationError):
        ExecutionOptions.model_validate(options)
    with pytest.raises(ValidationError):
        RunCreate.model_validate({"target": "nb.ipynb", **options})


def test_the_api_bodies_make_jobs_whose_left_out_options_are_unset() -> None:
    assert RunCreate(target="nb.ipynb").job().options == ExecutionOptions()
    run = RunCreate(target="nb.ipynb", parameters={"n": 1}, fresh=True, retries=2, timeout=9)
    assert run.job() == Job(
        target="nb.ipynb",
        parameters={"n": 1},
        options=ExecutionOptions(fresh=True, retries=2, timeout=9),
    )
    # A schedule runs fresh unless it says otherwise; retries and timeout are the executor's.
    schedule = ScheduleCreate(name="s", target="nb.ipynb", cron="0 6 * * *")
    assert schedule.job().options == ExecutionOptions(fresh=True)
    follows = ScheduleCreate(name="s", target="nb.ipynb", cron="0 6 * * *", fresh=None)
    assert follows.job().options == ExecutionOptions()


def test_a_schedule_row_stores_its_job_and_only_the_options_given() -> None:
    job = Job(target="nb.ipynb", parameters={"n": 2}, options=ExecutionOptions(retries=1))
    row = ScheduleRow(job=job)
    assert (row.target, row.parameters, row.options) == ("nb.ipynb", {"n": 2}, {"retries": 1})
    assert row.job == job
    # Schedules stored before options could be unset keep their explicit values.
    old = ScheduleRow(
        target="nb.ipynb", parameters={}, options={"fresh": True, "retries": 0, "timeout": None}
    )
    assert old.job.options == ExecutionOptions(fresh=True, retries=0)


@pytest.mark.parametrize(
    ("source", "value", "kept"),
    [
        ("12", 12, None),
        ("'x'", "x", None),
        ("None", None, None),
        ("[1, 2.5, {'a': True}]", [1, 2.5, {"a": True}], None),
        ("date.today()", None, "date.today()"),
        ("(1, 2)", None, "(1, 2)"),
        ("{1: 'a'}", None, "{1: 'a'}"),
        ("1e400", None, "1e400"),
    ],
)
def test_defaults_are_json_values_or_their_source(source: str, value: object, kept: str) -> None:
    assert json_default(source) == (value, kept)


def test_described_parameters_carry_json_defaults(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 2  # how many\nnames = ['a', 'b']\nwhen = date.today()\nratio: float = 0.5",
        "print(n)",
    )
    described = describe_parameters(tmp_path / "nb.ipynb", "nb.ipynb")
    assert [(p.name, p.type, p.default, p.default_source) for p in described.parameters] == [
        ("n", "int", 2, None),
        ("names", "list", ["a", "b"], None),
        ("when", "None", None, "date.today()"),
        ("ratio", "float", 0.5, None),
    ]
    (tmp_path / "pipeline.yaml").write_text(
        "name: p\nparameters: {size: 3, label: 'x', day: 2030-01-01}\n"
        "steps:\n  - {name: a, notebook: nb.ipynb}\n"
    )
    described = describe_parameters(tmp_path / "pipeline.yaml", "pipeline.yaml")
    assert [(p.name, p.default, p.default_source) for p in described.parameters] == [
        ("size", 3, None),
        ("label", "x", None),
        ("day", None, "datetime.date(2030, 1, 1)"),
    ]


def run_job(workdir: Path, job: Job, **settings: object) -> Run:
    async def go() -> Run:
        plan = plan_job(job, workdir)
        executor = LocalExecutor(RunFolder(workdir / "runs"), **settings)
        try:
            return await executor.process(new_record(plan), plan)
        finally:
            await executor.close()

    return asyncio.run(go())


def test_the_executor_settings_fill_in_what_the_job_leaves_unset(tmp_path: Path) -> None:
    write_notebook(tmp_path / "flaky.ipynb", "marker = 'tried'", FLAKY)
    retrying = {"retries": 1, "retry_backoff": 0.1}
    ran = run_job(tmp_path, Job(target="flaky.ipynb", parameters={"marker": "a"}), **retrying)
    assert (ran.status, ran.steps[0].attempts) == ("succeeded", 2)
    once = Job(
        target="flaky.ipynb", parameters={"marker": "b"}, options=ExecutionOptions(retries=0)
    )
    ran = run_job(tmp_path, once, **retrying)
    assert (ran.status, ran.steps[0].attempts) == ("failed", 1)

    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n)")
    same = Job(target="nb.ipynb")
    assert run_job(tmp_path, same).status == "succeeded"
    assert run_job(tmp_path, same, fresh=True).steps[0].reused_from is None
    reuse = same.model_copy(update={"options": ExecutionOptions(fresh=False)})
    assert run_job(tmp_path, reuse, fresh=True).steps[0].reused_from is not None

    write_notebook(tmp_path / "slow.ipynb", "n = 1", "import time; time.sleep(60)")
    slow = run_job(tmp_path, Job(target="slow.ipynb"), step_timeout=1)
    assert slow.status == "failed" and "longer than 1s" in (slow.steps[0].error or "")


def scalelab_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scalelab.cli", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},
    )


def test_the_command_line_gives_the_same_options(tmp_path: Path) -> None:
    write_notebook(tmp_path / "flaky.ipynb", "marker = 'tried'", FLAKY)
    r = scalelab_run(tmp_path, "flaky.ipynb", "--retries", "1", "--no-fresh", "--quiet")
    assert r.returncode == 0, r.stderr
    refused = scalelab_run(tmp_path, "flaky.ipynb", "--retries", "9")
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert "--retries: input should be less than or equal to 5" in line
