"""`scalelab deploy|endpoints|rollback|predict`, against a service.

Exit codes: 0 done, 1 the service took the request but the version did not go live (its
reason in one line), 2 refused (bad input, no access, unreachable) with one line saying why.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..client import RemoteError, ServiceClient
from ..serving.client import DeploymentError, Endpoints, RolloutFailed


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", help="the service's URL (default: $SCALELAB_SERVICE_URL)")
    parser.add_argument("--token", help="a JupyterHub API token (default: $JUPYTERHUB_API_TOKEN)")
    parser.add_argument("--project", help="the project's slug (default: $SCALELAB_PROJECT)")


def add_parsers(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="serve a registered model at a project endpoint (blue-green if it exists)",
        description="Deploy a registered model version to an endpoint and follow it until it "
        "serves. Exits 0 when live, 1 when its checks failed (the live version stays), 2 when "
        "refused.",
    )
    deploy.add_argument("model_uri", help="models:/<name>/<version> or models:/<name>@<alias>")
    deploy.add_argument("--endpoint", required=True, help="the endpoint's name")
    deploy.add_argument("--min", type=int, dest="min_replicas", help="fewest replicas")
    deploy.add_argument("--max", type=int, dest="max_replicas", help="most replicas")
    deploy.add_argument(
        "--canary", type=int, default=0, help="percent of traffic to the new version first"
    )
    deploy.add_argument("--no-wait", action="store_true", help="return once the service took it")
    deploy.add_argument("--timeout", type=float, default=600, help="seconds to wait")
    _connection(deploy)
    deploy.set_defaults(func=cmd_deploy)

    endpoints = commands.add_parser("endpoints", help="a project's endpoints and what they serve")
    endpoints.add_argument("--json", action="store_true", help="the service's answer as JSON")
    _connection(endpoints)
    endpoints.set_defaults(func=cmd_endpoints)

    rollback = commands.add_parser(
        "rollback", help="put an endpoint back on the version it served before"
    )
    rollback.add_argument("endpoint")
    _connection(rollback)
    rollback.set_defaults(func=cmd_rollback)

    predict = commands.add_parser(
        "predict",
        help="ask an endpoint for predictions",
        description="Send a JSON body of MLflow's scoring protocol (dataframe_split, "
        "dataframe_records, instances or inputs) and print the predictions as JSON.",
    )
    predict.add_argument("endpoint")
    predict.add_argument(
        "-d", "--data", required=True, help="the JSON body, @file to read it, or @- for stdin"
    )
    _connection(predict)
    predict.set_defaults(func=cmd_predict)


def _endpoints(args: argparse.Namespace) -> Endpoints:
    client = ServiceClient.from_args(args.service, args.token, f"scalelab {args.command}")
    return Endpoints(args.project, client)


def _run(args: argparse.Namespace, action: Any) -> int:
    try:
        action(_endpoints(args))
    except RolloutFailed as exc:
        print(f"scalelab {args.command}: {exc}", file=sys.stderr)
        return 1
    except (DeploymentError, RemoteError, OSError, ValueError) as exc:
        print(f"scalelab {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


def _progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def summary(endpoint: dict[str, Any]) -> str:
    def label(version: dict[str, Any] | None) -> str:
        return f"{version['name']}/{version['version']}" if version else "-"

    ready = sum(1 for r in endpoint["replicas"] if r["ready"])
    green = f"  green {label(endpoint['green'])} ({endpoint['green_share']}%)"
    return (
        f"{endpoint['name']:<20} {endpoint['state']:<9} blue {label(endpoint['blue'])}"
        + (green if endpoint["green"] else "")
        + f"  replicas {ready}/{len(endpoint['replicas'])}"
        + f" ({endpoint['min_replicas']}-{endpoint['max_replicas']})  {endpoint['url']}"
    )


def cmd_deploy(args: argparse.Namespace) -> int:
    def action(endpoints: Endpoints) -> None:
        found = endpoints.deploy(
            args.model_uri,
            args.endpoint,
            min_replicas=args.min_replicas,
            max_replicas=args.max_replicas,
            canary=args.canary,
            wait=not args.no_wait,
            timeout=args.timeout,
            progress=_progress,
        )
        print(summary(found))

    return _run(args, action)


def cmd_endpoints(args: argparse.Namespace) -> int:
    def action(endpoints: Endpoints) -> None:
        found = endpoints.list()
        if args.json:
            print(json.dumps(found, indent=2))
        elif not found:
            print(f"no endpoints in project {endpoints.project}")
        for endpoint in [] if args.json else found:
            print(summary(endpoint))

    return _run(args, action)


def cmd_rollback(args: argparse.Namespace) -> int:
    def action(endpoints: Endpoints) -> None:
        print(summary(endpoints.rollback(args.endpoint, progress=_progress)))

    return _run(args, action)


def read_body(data: str) -> str:
    """The -d argument: the JSON itself, @file or @- (stdin); checked to be JSON here."""
    if data == "@-":
        text = sys.stdin.read()
    elif data.startswith("@"):
        text = Path(data[1:]).read_text()
    else:
        text = data
    try:
        json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the data is not JSON: {exc}") from None
    return text


def cmd_predict(args: argparse.Namespace) -> int:
    def action(endpoints: Endpoints) -> None:
        print(json.dumps(endpoints.predict(args.endpoint, read_body(args.data))))

    return _run(args, action)
