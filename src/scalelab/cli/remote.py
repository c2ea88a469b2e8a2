"""`scalelab run --remote`: the same run, submitted to a ScaleLab service with a hub token."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..client import RemoteError, ServiceClient
from ..errors import InvalidInput
from ..runs.parameters import parse_assignments
from ..runs.records import FINAL, Run
from .options import job_options


def run_remotely(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not args.project or not token:
        print(
            "scalelab run: --remote needs --project and a token (--token or $JUPYTERHUB_API_TOKEN)",
            file=sys.stderr,
        )
        return 2
    client = ServiceClient(args.remote, token)
    base = f"api/projects/{args.project}"
    try:
        # Options left out are the service's executor settings, as for a run from the lab.
        options = job_options(args).given()
    except InvalidInput as exc:
        print(f"scalelab run: {exc.message}", file=sys.stderr)
        return 2
    body: dict[str, Any] = {
        "target": args.path,
        "parameters": parse_assignments(args.parameter),
        **options,
    }
    try:
        # Values typed on the command line are read as the notebook declares them, remotely.
        body["parameters"] = typed_parameters(client, args.project, args.path, body["parameters"])
        run = client.call("POST", f"{base}/runs", json=body)
        seen: dict[str, str] = {}
        while run["status"] not in FINAL:
            time.sleep(0.5)
            run = client.call("GET", f"{base}/runs/{run['id']}")
            for step in run["steps"]:
                if not args.quiet and seen.get(step["name"]) != step["status"]:
                    seen[step["name"]] = step["status"]
                    error = f" ({step['error']})" if step["error"] else ""
                    print(f"{step['name']}: {step['status']}{error}", file=sys.stderr)
    except RemoteError as exc:
        print(f"scalelab run: {exc}", file=sys.stderr)
        return 2
    if args.junit:
        from .options import write_junit

        record = Run.model_validate({**run, "workdir": ""})
        write_junit(record, Path(args.junit))
    if run["status"] == "succeeded":
        print(f"run {run['id']} succeeded: {len(run['steps'])} step(s)")
        return 0
    print(f"scalelab run: run {run['id']} {run['status']}: {run['error']}", file=sys.stderr)
    return 1


def typed_parameters(
    client: ServiceClient, project: str, path: str, given: dict[str, str]
) -> dict[str, Any]:
    """Values typed on the command line, read as the notebook or pipeline declares them."""
    from ..runs.parameters import Parameter, check_values

    described = client.call("GET", f"api/projects/{project}/parameters", params={"path": path})
    declared = {
        p["name"]: Parameter(
            p["name"], p["type"], p.get("default_source") or repr(p["default"]), p["help"]
        )
        for p in described["parameters"]
    }
    try:
        return check_values(declared, given, from_text=True)
    except InvalidInput as exc:
        raise RemoteError(exc.message) from None
