"""What `scalelab run` and `scalelab schedule` share: a job's options as flags, JUnit reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from xml.etree import ElementTree

from pydantic import ValidationError

from ..errors import InvalidInput
from ..runs.job import MAX_RETRIES, ExecutionOptions
from ..runs.records import Run


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


def write_junit(run: Run, path: Path) -> None:
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
