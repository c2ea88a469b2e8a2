"""`scalelab run --remote`: the same run, submitted to a ScaleLab service with a hub token."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

from .parameters import parse_assignments
from .records import FINAL, RunRecord


class RemoteError(Exception):
    pass


def _call(session: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
    try:
        r = session.request(method, url, timeout=60, **kwargs)
    except requests.RequestException as exc:
        raise RemoteError(f"cannot reach {url}: {exc.__class__.__name__}") from None
    if r.status_code >= 400:
        try:
            message = r.json()["message"]
        except ValueError:
            message = r.reason
        raise RemoteError(f"{r.status_code}: {message}")
    return r.json()


def run_remotely(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not args.project or not token:
        print(
            "scalelab run: --remote needs --project and a token (--token or $JUPYTERHUB_API_TOKEN)",
            file=sys.stderr,
        )
        return 2
    base = args.remote.rstrip("/") + f"/api/projects/{args.project}/runs"
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"
    body = {
        "target": args.path,
        "parameters": parse_assignments(args.parameter),
        "fresh": args.fresh,
        "retries": args.retries,
        "timeout": args.timeout or None,
    }
    try:
        # Values typed on the command line are read as the notebook declares them, remotely.
        params = _call(
            session, "GET", base.removesuffix("/runs") + "/parameters", params={"path": args.path}
        )
        body["parameters"] = _typed(params, body["parameters"])
        run = _call(session, "POST", base, json=body)
        seen: dict[str, str] = {}
        while run["status"] not in FINAL:
            time.sleep(0.5)
            run = _call(session, "GET", f"{base}/{run['id']}")
            for step in run["steps"]:
                if not args.quiet and seen.get(step["name"]) != step["status"]:
                    seen[step["name"]] = step["status"]
                    error = f" ({step['error']})" if step["error"] else ""
                    print(f"{step['name']}: {step['status']}{error}", file=sys.stderr)
    except RemoteError as exc:
        print(f"scalelab run: {exc}", file=sys.stderr)
        return 2
    if args.junit:
        from .cli import write_junit

        record = RunRecord.model_validate({**run, "workdir": ""})
        write_junit(record, Path(args.junit))
    if run["status"] == "succeeded":
        print(f"run {run['id']} succeeded: {len(run['steps'])} step(s)")
        return 0
    print(f"scalelab run: run {run['id']} {run['status']}: {run['error']}", file=sys.stderr)
    return 1


def _typed(described: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    from ..errors import InvalidInput
    from .parameters import Parameter, check_values

    declared = {
        p["name"]: Parameter(p["name"], p["type"], p["default"], p["help"])
        for p in described["parameters"]
    }
    try:
        return check_values(declared, given, from_text=True)
    except InvalidInput as exc:
        raise RemoteError(exc.message) from None
