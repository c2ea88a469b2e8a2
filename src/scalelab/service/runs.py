"""Runs of a project's notebooks and pipelines, executed by the service, not a user's server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import Conflict, InvalidInput, NotFound
from ..paths import PathOutsideRoot, resolve_inside
from ..runs.executor import new_record
from ..runs.job import Job, plan_job
from ..runs.parameters import is_json_data, json_default
from ..runs.plan import Plan
from ..runs.records import FINAL, Run, Trigger
from ..store.runs import (
    ProjectGone,
    ProjectRuns,
    close_interrupted,
    request_cancel,
    unfinished_runs,
)
from .models import (
    NotebookDiff,
    ParameterModel,
    ParametersModel,
    RunCreate,
    RunList,
    RunModel,
)
from .openapi import Operation
from .projects import ProjectScoped

if TYPE_CHECKING:
    from ..runs.executor import Executor
    from ..store import Store
    from ..workspaces import Workspaces
    from .access import WorkspaceAccess
    from .run_tracking import TrackedRuns

TAGS = ("runs",)


@dataclass
class MadeRun:
    """A job's run, checked and recorded in memory: ready to save and start."""

    runs: ProjectRuns
    record: Run
    plan: Plan


class RunManager:
    """The service's executor, and the runs it is working on."""

    def __init__(
        self,
        *,
        store: Store,
        executor: Executor,
        workspaces: Workspaces,
        outputs: Path,
        access: WorkspaceAccess,
        worker: str,
        log: logging.Logger,
        tracked: TrackedRuns | None = None,
    ) -> None:
        self.store = store
        self.executor = executor
        self.workspaces = workspaces
        self.outputs = outputs  # run outputs, a folder per project
        self.access = access  # which OS account a project's runs execute as
        self.worker = worker  # this service process, recorded with the runs it executes
        self.log = log
        self.tracked = tracked  # runs become MLflow runs of their project's experiment
        self.tasks: dict[str, asyncio.Task[Run]] = {}

    def runs_of(self, project_id: int, slug: str) -> ProjectRuns:
        return ProjectRuns(self.store, project_id, self.outputs / slug, worker=self.worker)

    def recover(self) -> int:
        """At start: runs this process left unfinished when it stopped are closed as failed."""
        return close_interrupted(self.store, self.worker)

    def make_run(
        self,
        project_id: int,
        slug: str,
        job: Job,
        *,
        trigger: Trigger,
        triggered_by: str,
        schedule_id: int | None = None,
    ) -> MadeRun:
        """The run of `job` in the project's workspace, checked (blocking: reads notebooks).

        Options the job leaves unset stay so in the plan: the executor fills in its own.
        """
        plan = plan_job(job, self.workspaces.path(slug), run_as=self.access.run_as(slug))
        if self.tracked is not None:
            plan.hooks = self.tracked.hooks_for(project_id, slug)
        record = new_record(
            plan, trigger=trigger, triggered_by=triggered_by, schedule_id=schedule_id
        )
        return MadeRun(self.runs_of(project_id, slug), record, plan)

    async def submit_job(self, project_id: int, slug: str, job: Job, **origin: Any) -> Run:
        """Check `job`, save its run and start it; the saved record is returned at once.

        `origin` is `make_run`'s: trigger, triggered_by, schedule_id."""
        made = await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self.make_run, project_id, slug, job, **origin)
        )
        self.submit(made.runs, made.record, made.plan)
        return made.record

    def submit(self, runs: ProjectRuns, record: Run, plan: Any) -> asyncio.Task[Run]:
        runs.save(record)
        return self.start(runs, record, plan)

    def start(self, runs: ProjectRuns, record: Run, plan: Any) -> asyncio.Task[Run]:
        """Execute a run whose record is saved already."""
        task = asyncio.ensure_future(self._process(runs, record, plan))
        self.tasks[record.id] = task
        task.add_done_callback(lambda _t, rid=record.id: self.tasks.pop(rid, None))
        return task

    async def _process(self, runs: ProjectRuns, record: Run, plan: Any) -> Run:
        try:
            return await self.executor.process(record, plan, runs)
        except ProjectGone:
            self.log.warning("Run %s dropped: its project was deleted", record.id)
            return record

    async def stop_project(self, project_id: int) -> int:
        """Cancel every unfinished run of a project (before it is deleted or archived)."""
        run_ids = unfinished_runs(self.store, project_id)
        await asyncio.gather(*(self.cancel(run_id) for run_id in run_ids))
        return len(run_ids)

    async def cancel(self, run_id: str) -> None:
        """Cancel a run of this process; one another process executes is flagged for it."""
        task = self.tasks.get(run_id)
        if task is None:
            request_cancel(self.store, run_id)
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), 15)

    async def close(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await self.executor.close()


def run_model(record: Run, slug: str) -> RunModel:
    """The API's view of a run: the record as it is, with outputs as paths in the lab."""
    steps = [
        {**step, "output": f"runs/{slug}/{record.id}/{step['output']}" if step["output"] else None}
        for step in record.model_dump()["steps"]
    ]
    return RunModel.model_validate({**record.model_dump(), "project": slug, "steps": steps})


# Cell metadata every execution writes anew (timings, papermill's per-cell bookkeeping): it
# differs between any two runs and would mark every cell as changed. The notebook's own
# papermill metadata (the parameters) stays in the comparison.
RUN_METADATA = ("papermill", "execution")


def without_run_metadata(notebook: Any) -> Any:
    for cell in notebook.cells:
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
    return notebook


class RunScoped(ProjectScoped):
    @property
    def runs(self) -> ProjectRuns:
        return self.app.runs.runs_of(self.project.id, self.slug)

    def workspace_path(self, relative: str) -> Path:
        try:
            return resolve_inside(self.app.workspaces.path(self.slug), relative)
        except PathOutsideRoot as exc:
            raise InvalidInput(str(exc)) from None

    def load_run(self, run_id: str) -> Run:
        record = self.runs.get(run_id)
        if record is None:
            raise NotFound(f"no run {run_id!r} in project {self.slug!r}")
        return record


class ParametersHandler(RunScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Parameters of a notebook or pipeline, for a run form",
            ParametersModel,
            role="viewer",
            tags=TAGS,
            query=("path",),
        ),
    }

    async def get(self, slug: str) -> None:
        relative = self.get_query_argument("path", "")
        if not relative:
            raise InvalidInput("give the notebook or pipeline as ?path=")
        path = self.workspace_path(relative)
        if not path.is_file():
            raise InvalidInput(f"{relative!r} not found in project {slug!r}")
        model = await asyncio.get_running_loop().run_in_executor(
            None, describe_parameters, path, relative
        )
        self.write_model(model)


def describe_parameters(path: Path, relative: str) -> ParametersModel:
    from ..runs.parameters import inspect_parameters
    from ..runs.pipeline import load_pipeline

    if path.suffix == ".ipynb":
        params = [
            _parameter(p.name, p.type, json_default(p.default), p.help)
            for p in inspect_parameters(path).values()
        ]
        return ParametersModel(path=relative, kind="notebook", parameters=params)
    if path.suffix not in (".yaml", ".yml"):
        raise InvalidInput(f"{relative!r} is neither a notebook nor a pipeline.yaml")
    pipeline = load_pipeline(path)
    params = [
        _parameter(n, type(v).__name__, (v, None) if is_json_data(v) else (None, repr(v)), "")
        for n, v in pipeline.parameters.items()
    ]
    return ParametersModel(
        path=relative, kind="pipeline", parameters=params, steps=[s.name for s in pipeline.steps]
    )


def _parameter(name: str, kind: str, default: tuple[Any, str | None], help: str) -> ParameterModel:
    value, source = default
    return ParameterModel(name=name, type=kind, default=value, default_source=source, help=help)


class RunsHandler(RunScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("Runs of the project, newest first", RunList, role="viewer", tags=TAGS),
        "post": Operation(
            "Start a run of a notebook or pipeline",
            RunModel,
            body=RunCreate,
            role="runner",
            errors=(401, 403, 409),
            tags=TAGS,
            status=201,
        ),
    }

    def get(self, slug: str) -> None:
        self.write_model(RunList(runs=[run_model(r, slug) for r in self.runs.list()]))

    async def post(self, slug: str) -> None:
        body = self.parse_body(RunCreate)
        self.refuse_if_archived()
        record = await self.app.runs.submit_job(
            self.project.id, slug, body.job(), trigger="user", triggered_by=self.identity.name
        )
        self.write_model(run_model(record, slug), status=201)


class RunHandler(RunScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("One run, with its steps and lineage", RunModel, role="viewer", tags=TAGS),
    }

    def get(self, slug: str, run_id: str) -> None:
        self.write_model(run_model(self.load_run(run_id), slug))


class RunCancelHandler(RunScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Cancel a run: its kernels are killed",
            RunModel,
            role="runner",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
    }

    async def post(self, slug: str, run_id: str) -> None:
        record = self.load_run(run_id)
        if record.status in FINAL:
            raise Conflict(f"run {run_id} has already {record.status}")
        await self.app.runs.cancel(run_id)
        self.write_model(run_model(self.load_run(run_id), slug))


class RunDiffHandler(RunScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "nbdime diff of a step's output notebook against another run's",
            NotebookDiff,
            role="viewer",
            tags=TAGS,
            query=("other", "step"),
        ),
    }

    def get(self, slug: str, run_id: str) -> None:
        import nbdime
        import nbformat

        step_name = self.get_query_argument("step", "")
        other_id = self.get_query_argument("other", "")
        runs = [self.load_run(run_id), self.load_run(other_id)]
        base, remote = sorted(runs, key=lambda r: r.created_at)
        notebooks = []
        for record in (base, remote):
            step = next((s for s in record.steps if s.name == step_name), None)
            if step is None or not step.output:
                raise InvalidInput(f"run {record.id} has no output notebook for step {step_name!r}")
            path = self.runs.folder(record.id) / step.output
            notebooks.append(without_run_metadata(nbformat.read(path, as_version=4)))
        diff = nbdime.diff_notebooks(notebooks[0], notebooks[1])
        self.write_model(
            NotebookDiff(
                base=base.id,
                remote=remote.id,
                step=step_name,
                base_notebook=notebooks[0],
                diff=diff,
            )
        )
