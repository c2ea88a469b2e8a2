"""Executors run a plan and keep its record. `process()` wraps `execute()` with hooks.

`StepExecutor` runs the steps wave by wave, a bounded number at a time, with retries and reuse
of earlier identical steps; a run waiting for its first slot stays `queued`, its place in the
queue kept in its record. Where one attempt of a step runs is its subclasses' part:
`LocalExecutor` takes a kernel from a pool of kernels started ahead on this machine (each its own
process, killed on timeout or cancellation), `DaskExecutor` a task on a Dask cluster. Executors
are registered by short name under the `scalelab.executors` entry-point group (`executors.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from traitlets import Bool, Float, Integer
from traitlets.config import LoggingConfigurable

from ..environ import child_environ
from .engine import StepOutcome, execute_notebook, prepare_notebook
from .kernels import KernelPool
from .lineage import cache_key, environment, file_sha256, hash_files
from .plan import Plan, PlannedStep
from .records import UNFINISHED, Lineage, Run, Step, now
from .slots import Slots

Listener = Callable[[Run, Step | None, str], None]


class RunStore(Protocol):
    def save(self, record: Run) -> None: ...
    def folder(self, run_id: str) -> Path: ...
    def find_reusable(self, cache_key: str) -> tuple[Run, Step] | None: ...


def new_record(plan: Plan, **fields: Any) -> Run:
    return Run(
        kind=plan.kind,  # type: ignore[arg-type]
        target=plan.target,
        workdir=str(plan.workdir),
        parameters=plan.parameters,
        steps=[
            Step(name=s.name, notebook=s.notebook, parameters=s.parameters, kernel=s.kernel)
            for s in plan.steps
        ],
        **fields,
    )


class Executor(LoggingConfigurable):
    """Runs a plan. Subclasses implement `execute`; `process` keeps the record honest."""

    name = "base"

    hook_timeout = Float(
        30.0, help="Seconds a run's hook (experiment tracking) may take before it is skipped."
    ).tag(config=True)

    def __init__(
        self, store: RunStore | None = None, listener: Listener | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.listener = listener
        self._stores: dict[str, RunStore] = {}

    def store_of(self, run: Run) -> RunStore:
        store = self._stores.get(run.id) or self.store
        assert store is not None, "no run store given"
        return store

    def emit(self, run: Run, step: Step | None, message: str) -> None:
        store = self.store_of(run)
        store.save(run)
        # The run's log: one line per event, beside its output notebooks.
        folder = store.folder(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "run.log").open("a") as log:
            log.write(
                f"{now().isoformat(timespec='milliseconds')} "
                f"{step.name if step else 'run'}: {message}\n"
            )
        if self.listener:
            self.listener(run, step, message)

    async def before(self, run: Run) -> None:
        self.mark_started(run)

    def mark_started(self, run: Run) -> None:
        run.status = "running"
        run.queue_position = None
        run.started_at = now()
        run.executor = self.name
        run.environment = environment()
        self.emit(run, None, "started")

    async def on_failure(self, run: Run, error: BaseException | None) -> None:
        self.emit(run, None, run.error or run.status)

    async def on_complete(self, run: Run) -> None:
        self.emit(run, None, "succeeded")

    async def process(self, run: Run, plan: Plan, store: RunStore | None = None) -> Run:
        """Run `plan`, keeping `run` (in `store`, or the executor's own) up to date throughout."""
        if store is not None:
            self._stores[run.id] = store
        try:
            return await self._process(run, plan)
        finally:
            self._stores.pop(run.id, None)

    async def _process(self, run: Run, plan: Plan) -> Run:
        plan.env = {**plan.env, **(await self.call_hook(plan, "run_started", run) or {})}
        try:
            return await self._execute(run, plan)
        finally:
            await self.call_hook(plan, "run_finished", run)

    async def call_hook(self, plan: Plan, name: str, *args: Any) -> Any:
        """The plan's hook `name`, if it has hooks; its failure is logged, never the run's."""
        if plan.hooks is None:
            return None
        try:
            return await asyncio.wait_for(getattr(plan.hooks, name)(*args), self.hook_timeout)
        except Exception as exc:
            self.log.warning("run %s: the %s hook failed: %s", args[0].id, name, exc)
            return None

    def step_environment(self, run: Run, step: PlannedStep, plan: Plan) -> dict[str, str]:
        """What a step's kernel finds in its environment."""
        return {
            **plan.env,
            **plan.step_env.get(step.name, {}),
            "SCALELAB_RUN_ID": run.id,
            "SCALELAB_STEP": step.name,
        }

    async def _execute(self, run: Run, plan: Plan) -> Run:
        await self.before(run)
        try:
            await self.execute(run, plan)
        except asyncio.CancelledError:
            run.status, run.error = "cancelled", "cancelled"
            self._close_steps(run, "cancelled")
            run.finished_at = now()
            await self.on_failure(run, None)
            raise
        except Exception as exc:  # the executor's own failure, not a notebook's
            self.log.exception("run %s failed", run.id)
            run.status, run.error = "failed", f"{exc.__class__.__name__}: {exc}"
            self._close_steps(run, "failed")
            run.finished_at = now()
            await self.on_failure(run, exc)
            return run
        failed = [s for s in run.steps if s.status in ("failed", "cancelled")]
        run.finished_at = now()
        if failed:
            run.status = "failed"
            run.error = f"step {failed[0].name} {failed[0].status}: {failed[0].error}"
            await self.on_failure(run, None)
        else:
            run.status = "succeeded"
            await self.on_complete(run)
        return run

    @staticmethod
    def _close_steps(run: Run, status: str) -> None:
        for step in run.steps:
            if step.status in UNFINISHED:
                step.status = status  # type: ignore[assignment]
                step.finished_at = step.finished_at or now()

    async def execute(self, run: Run, plan: Plan) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the executor started (kernels, clusters); it runs nothing after."""


class StepExecutor(Executor):
    """Steps wave by wave, `max_parallel` at a time; subclasses run one attempt of a step."""

    max_parallel = Integer(2, help="Steps that may run at the same time.").tag(config=True)
    retries = Integer(0, help="Extra attempts for a failed step.").tag(config=True)
    retry_backoff = Float(1.0, help="Seconds before the first retry; doubles each time.").tag(
        config=True
    )
    retry_backoff_max = Float(60.0, help="Longest wait between two attempts.").tag(config=True)
    step_timeout = Float(0.0, help="Seconds a step may take in all (0: no limit).").tag(config=True)
    fresh = Bool(False, help="Run every step even if an earlier identical one can be reused.").tag(
        config=True
    )

    def __init__(
        self, store: RunStore | None = None, listener: Listener | None = None, **kwargs: Any
    ) -> None:
        super().__init__(store, listener, **kwargs)
        self._slots = Slots(self.max_parallel, on_change=self._queue_moved)
        self._queued: dict[str, Run] = {}  # runs waiting for their first slot

    async def before(self, run: Run) -> None:
        # Not running yet: a run starts when its first step gets a slot (or is reused).
        run.executor = self.name

    def warm(self, plan: Plan) -> None:
        """Get ready for the steps of `plan` before the first one asks (here: nothing)."""

    async def execute(self, run: Run, plan: Plan) -> None:
        self.warm(plan)
        broken: set[str] = set()
        for wave in plan.waves:
            steps = [s for s in plan.steps if s.name in wave]
            runnable = []
            for step in steps:
                blocked = [n for n in step.needs if n in broken]
                record = run.step(step.name)
                if blocked:
                    record.status = "skipped"
                    record.error = f"not run: {', '.join(blocked)} did not succeed"
                    broken.add(step.name)
                else:
                    runnable.append(step)
            await asyncio.gather(*(self._run_step(run, plan, step) for step in runnable))
            broken |= {
                s.name
                for s in runnable
                if run.step(s.name).status != "succeeded" and run.step(s.name).reused_from is None
            }
            self.store_of(run).save(run)

    async def _run_step(self, run: Run, plan: Plan, step: PlannedStep) -> None:
        record = run.step(step.name)
        workdir = plan.workdir
        notebook_sha = file_sha256(workdir / step.notebook) or ""
        inputs = hash_files(workdir, step.inputs)
        upstream = [run.step(n).cache_key or "" for n in step.needs]
        record.cache_key = cache_key(notebook_sha, step.parameters, inputs, step.kernel, upstream)
        record.lineage = Lineage(notebook=notebook_sha, inputs=inputs)
        fresh = self.fresh if plan.fresh is None else plan.fresh
        if not fresh and self._reuse(run, record, workdir, step):
            return
        retries = self.retries if plan.retries is None else plan.retries
        output = self.store_of(run).folder(run.id) / f"{step.name}.ipynb"
        record.output = output.name
        async with self._slot(run):
            env = await self.call_hook(plan, "step_started", run, record)
            plan.step_env[step.name] = env or {}
            for attempt in range(1, retries + 2):
                record.attempts = attempt
                record.status, record.started_at = "running", now()
                self.emit(run, record, f"running (attempt {attempt})" if attempt > 1 else "running")
                outcome = await self._attempt(step, plan, output, run)
                record.status = outcome.status  # type: ignore[assignment]
                record.error, record.failed_cell = outcome.error, outcome.failed_cell
                record.finished_at = now()
                if outcome.status != "failed" or attempt > retries:
                    break
                delay = min(self.retry_backoff_max, self.retry_backoff * 2 ** (attempt - 1))
                self.emit(run, record, f"failed ({outcome.error}); retrying in {delay:g}s")
                await asyncio.sleep(delay)
        record.lineage.outputs = hash_files(workdir, step.outputs)
        if record.status == "succeeded" and step.profile:
            await self._profile(run, record, workdir, step.profile)
        await self.call_hook(plan, "step_finished", run, record)
        self.emit(
            run, record, record.status if not record.error else f"{record.status}: {record.error}"
        )

    async def _profile(self, run: Run, record: Step, workdir: Path, paths: list[str]) -> None:
        """Profile the outputs the pipeline asks for, kept in the run folder (in a process of
        its own: whylogs stays out of this one). A failure is told, not fatal: the data is
        written; only its profile is missing."""
        dest = self.store_of(run).folder(run.id) / "profiles"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scalelab.monitoring.batch",
            str(dest),
            str(workdir),
            *paths,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_environ(),
        )
        out, err = await process.communicate()
        if process.returncode == 0:
            written = json.loads(out.decode().strip().splitlines()[-1])
            record.profiles = {path: f"profiles/{name}" for path, name in written.items()}
            return
        lines = err.decode(errors="replace").strip().splitlines()
        self.emit(run, record, f"outputs not profiled: {lines[-1] if lines else 'no reason'}")

    @contextlib.asynccontextmanager
    async def _slot(self, run: Run) -> AsyncIterator[None]:
        """A slot for one step of `run`. Until its first step gets one, the run is `queued`,
        with its place in the queue kept up to date in its record."""
        if run.status == "queued":
            self._queued[run.id] = run
        try:
            async with self._slots.take(run.id):
                if self._queued.pop(run.id, None) is not None:
                    self.mark_started(run)
                yield
        finally:
            if self._queued.pop(run.id, None) is not None:
                run.queue_position = None  # cancelled while waiting

    def _queue_moved(self) -> None:
        places = self._slots.places()
        for run_id, run in list(self._queued.items()):
            place = places.get(run_id)
            if place == run.queue_position:
                continue
            first = run.queue_position is None
            run.queue_position = place
            # The place is for people to read: failing to save it must not stop the queue.
            try:
                if first and place is not None:
                    self.emit(run, None, f"queued (place {place})")
                else:
                    self.store_of(run).save(run)
            except Exception:
                self.log.exception("run %s: its place in the queue was not saved", run_id)

    async def _attempt(self, step: PlannedStep, plan: Plan, output: Path, run: Run) -> StepOutcome:
        """One attempt of `step`, its output notebook written to `output`."""
        raise NotImplementedError

    def _reuse(self, run: Run, record: Step, workdir: Path, step: PlannedStep) -> bool:
        store = self.store_of(run)
        found = store.find_reusable(record.cache_key or "")
        if found is None:
            return False
        earlier_run, earlier = found
        if earlier.lineage is None or hash_files(workdir, step.outputs) != earlier.lineage.outputs:
            return False  # its outputs changed or are gone since
        if earlier.output:
            source = store.folder(earlier_run.id) / earlier.output
            target = store.folder(run.id) / earlier.output
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            target.chmod(0o444)
            record.output = earlier.output
        for relative in earlier.profiles.values():  # the same data: the same profiles
            target = store.folder(run.id) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store.folder(earlier_run.id) / relative, target)
        record.profiles = dict(earlier.profiles)
        record.status = "skipped"
        record.reused_from = earlier_run.id
        record.lineage = earlier.lineage
        record.started_at = record.finished_at = now()
        if run.status == "queued":
            self.mark_started(run)  # no slot needed: it starts here
        self.emit(run, record, f"reused from run {earlier_run.id}")
        return True


class LocalExecutor(StepExecutor):
    """Steps run in kernels on this machine, started ahead of use by a pool."""

    name = "local"

    pool_size = Integer(
        2, help="Kernels kept started ahead of use, per kernel name (0: start on demand)."
    ).tag(config=True)
    fork = Bool(
        True, help="Start Python kernels by forking a preloaded process (much faster)."
    ).tag(config=True)

    def __init__(
        self, store: RunStore | None = None, listener: Listener | None = None, **kwargs: Any
    ) -> None:
        super().__init__(store, listener, **kwargs)
        self.pool = KernelPool(size=max(1, self.pool_size), fork=self.fork)

    async def close(self) -> None:
        await self.pool.close()

    def warm(self, plan: Plan) -> None:
        if self.pool_size:
            for kernel in {s.kernel for s in plan.steps}:
                self.pool.warm(kernel, plan.run_as)

    async def _attempt(self, step: PlannedStep, plan: Plan, output: Path, run: Run) -> StepOutcome:
        workdir = plan.workdir
        nb = await asyncio.get_running_loop().run_in_executor(
            None, prepare_notebook, workdir / step.notebook, step.parameters
        )
        kernel = await self.pool.take(step.kernel, plan.run_as)
        timeout = self.step_timeout if plan.step_timeout is None else plan.step_timeout
        try:
            await kernel.prepare(str(workdir), self.step_environment(run, step, plan))
            execution = execute_notebook(nb, output, kernel, cell_timeout=step.cell_timeout)
            if timeout:
                try:
                    return await asyncio.wait_for(execution, timeout)
                except TimeoutError:
                    return StepOutcome("failed", f"step ran longer than {timeout:g}s")
            return await execution
        finally:
            kernel.discard()  # killed, whatever happened: one kernel, one run
