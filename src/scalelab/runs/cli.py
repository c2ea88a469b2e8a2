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

from ..errors import InvalidInput
from .executor import LocalExecutor, new_record
from .parameters import parse_assignments
from .plan import make_plan
from .records import RunFolder, RunRecord, StepRecord


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
    plan = make_plan(workdir, str(target), given, from_text=True, kernel=args.kernel)
    trigger = "ci" if os.environ.get("CI") else "user"
    record = new_record(plan, trigger=trigger, triggered_by=os.environ.get("USER", ""))
    options: dict[str, Any] = {
        "max_parallel": args.parallel,
        "retries": args.retries,
        "step_timeout": args.timeout,
        "fresh": args.fresh,
    }
    executor: LocalExecutor
    if args.executor == "dask":
        from .dask import DaskExecutor

        executor = DaskExecutor(
            store, _progress(args.quiet), scheduler_address=args.dask_scheduler or "", **options
        )
    else:
        executor = LocalExecutor(store, _progress(args.quiet), **options)
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
