"""`scalelab run`: a notebook or pipeline run on this machine, for people and for CI."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..runs.executor import new_record
from ..runs.executors import find_executor
from ..runs.job import Job, plan_job
from ..runs.parameters import parse_assignments
from ..runs.records import FINAL, Run, RunFolder, Step
from .options import job_options, write_junit


def _progress(quiet: bool):  # type: ignore[no-untyped-def]
    started = time.monotonic()

    def show(run: Run, step: Step | None, message: str) -> None:
        if quiet or step is None:
            return
        done = sum(s.status in FINAL for s in run.steps)
        print(
            f"[{time.monotonic() - started:6.1f}s] {done}/{len(run.steps)} {step.name}: {message}",
            file=sys.stderr,
            flush=True,
        )

    return show


async def _execute(args: argparse.Namespace, store: RunFolder) -> Run:
    executor_class = find_executor(args.executor)
    workdir = Path.cwd()
    target = Path(args.path)
    if target.is_absolute():
        target = target.resolve()
        try:
            target = target.relative_to(workdir.resolve())
        except ValueError:
            workdir = target.parent
            target = Path(target.name)
    given = parse_assignments(args.parameter)
    job = Job(target=str(target), parameters=given, options=job_options(args))
    # Values typed as text are read as the notebook declares them.
    plan = plan_job(job, workdir, from_text=True, kernel=args.kernel)
    trigger = "ci" if os.environ.get("CI") else "user"
    record = new_record(plan, trigger=trigger, triggered_by=os.environ.get("USER", ""))
    # The job's unset options are the executor's: its own defaults, as nothing configures it.
    options: dict[str, Any] = {"max_parallel": args.parallel}
    if args.dask_scheduler and "scheduler_address" in executor_class.class_trait_names():
        options["scheduler_address"] = args.dask_scheduler
    executor = executor_class(store, _progress(args.quiet), **options)
    try:
        return await executor.process(record, plan)
    finally:
        await executor.close()


def run_locally(args: argparse.Namespace) -> int:
    store = RunFolder(Path(args.runs_dir).resolve())
    try:
        run = asyncio.run(_execute(args, store))
    except InvalidInput as exc:
        print(f"scalelab run: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scalelab run: interrupted", file=sys.stderr)
        return 130
    if args.junit:
        write_junit(run, Path(args.junit))
    folder = store.folder(run.id)
    if run.status == "succeeded":
        print(f"run {run.id} succeeded: {len(run.steps)} step(s), outputs in {folder}")
        return 0
    print(
        f"scalelab run: run {run.id} {run.status}: {run.error} (outputs in {folder})",
        file=sys.stderr,
    )
    return 1
