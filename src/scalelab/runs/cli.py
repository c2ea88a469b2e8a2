"""`scalelab run`: a notebook or pipeline run on this machine, for people and for CI."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pydantic import ValidationError

from ..errors import InvalidInput
from .executor import new_record
from .executors import find_executor
from .job import MAX_RETRIES, ExecutionOptions, Job, plan_job
from .parameters import parse_assignments
from .records import RunFolder, RunRecord, StepRecord


def add_option_arguments(
    parser: argparse.ArgumentParser, fresh_default: str = "the executor's setting"
) -> None:
    """A job's options as flags; one left out is the executor's (or the service's) to set."""
    parser.add_argument(
        "--fresh",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run every step, even ones an identical earlier run can supply (--no-fresh: "
        f"reuse them; default: {fresh_default})",
    )
    parser.add_argument("--timeout", type=float, help="seconds per step (0: none)")
    parser.add_argument(
        "--retries", type=int, help=f"extra attempts for a failed step (0-{MAX_RETRIES})"
    )


def job_options(args: argparse.Namespace) -> ExecutionOptions:
    """The options given on the command line, checked as the API checks them."""
    try:
        return ExecutionOptions(
            fresh=args.fresh, retries=args.retries, timeout=args.timeout or None
        )
    except ValidationError as exc:
        problems = (f"--{e['loc'][0]}: {e['msg'].lower()}" for e in exc.errors())
        raise InvalidInput("; ".join(problems)) from None


def _progress(quiet: bool):  # type: ignore[no-untyped-def]
    started = time.monotonic()

    def show(run: RunRecord, step: StepRecord | None, message: str) -> None:
        if quiet or step is None:
            return
        done = sum(s.status in ("succeeded", "failed", "skipped", "cancelled") for s in run.steps)
        print(
            f"[{time.monotonic() - started:6.1f}s] {done}/{len(run.steps)} {step.name}: {message}",
            file=sys.stderr,
            flush=True,
        )

    return show


def write_junit(run: RunRecord, path: Path) -> None:
    suite = ElementTree.Element(
        "testsuite",
        name=f"scalelab {run.target}",
        tests=str(len(run.steps)),
        failures=str(sum(s.status in ("failed", "cancelled") for s in run.steps)),
        skipped=str(sum(s.status == "skipped" and not s.reused_from for s in run.steps)),
    )
    for step in run.steps:
        took = (
            (step.finished_at - step.started_at).total_seconds()
            if step.started_at and step.finished_at
            else 0.0
        )
        case = ElementTree.SubElement(
            suite, "testcase", classname=run.target, name=step.name, time=f"{took:.3f}"
        )
        if step.status in ("failed", "cancelled"):
            failure = ElementTree.SubElement(case, "failure", message=step.error or step.status)
            failure.text = f"output notebook: {step.output}"
        elif step.status == "skipped" and not step.reused_from:
            ElementTree.SubElement(case, "skipped", message=step.error or "not run")
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)


async def _execute(args: argparse.Namespace, store: RunFolder) -> RunRecord:
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
    if args.remote:
        from .remote import run_remotely

        return run_remotely(args)
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
