"""`scalelab monitor list|check|follow`, against a service: a project's monitors from a shell
or CI.

Exit codes: 0 the check passed (or had too few rows to judge), the loop promoted; 1 the check
found a breach or failed, the loop kept the live model or failed; 2 refused (bad input, no
access, unreachable), with one line saying why.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..client import RemoteError, ServiceClient
from ..monitoring.client import MonitorError, Monitors

PASSED = frozenset({"ok", "too few rows"})


def add_parser(commands: Any) -> None:
    monitor = commands.add_parser(
        "monitor",
        help="a project's monitors: list, check now, follow a breach's loop",
        description="Exits 0 when the check passed or the loop promoted, 1 on a breach, a "
        "failed check or a loop that kept the live model, 2 when refused.",
    )
    actions = monitor.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the monitors, their status and last breach")
    listing.add_argument("--json", action="store_true", help="the service's answer as JSON")
    check = actions.add_parser("check", help="check now and wait for the verdict")
    check.add_argument("name")
    check.add_argument(
        "--follow", action="store_true", help="on a breach, follow its loop to its end"
    )
    check.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
    follow = actions.add_parser("follow", help="follow the latest breach's loop to its end")
    follow.add_argument("name")
    follow.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
    for parser in (listing, check, follow):
        parser.add_argument("--service", help="the service's URL (default: $SCALELAB_SERVICE_URL)")
        parser.add_argument(
            "--token", help="a JupyterHub API token (default: $JUPYTERHUB_API_TOKEN)"
        )
        parser.add_argument("--project", help="the project's slug (default: $SCALELAB_PROJECT)")
    monitor.set_defaults(func=cmd_monitor)


def _progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def summary(monitor: dict[str, Any]) -> str:
    breach = monitor["last_breach"]
    last = f"last breach {breach['state']}: {breach['reason']}" if breach else "no breach"
    return f"{monitor['name']:<20} {monitor['endpoint']:<20} {monitor['status']:<12} {last}"


def cmd_monitor(args: argparse.Namespace) -> int:
    try:
        client = ServiceClient.from_args(args.service, args.token, "scalelab monitor")
        monitors = Monitors(args.project, client)
        if args.action == "list":
            found = monitors.list()
            print(json.dumps(found, indent=2) if args.json else "\n".join(map(summary, found)))
            return 0
        if args.action == "check":
            check = monitors.check(args.name, timeout=args.timeout, progress=_progress)
            print(f"{args.name}: {check['status']}: {check['message']}")
            if check["report_url"]:
                print(f"report: {check['report_url']}")
            if check["status"] in PASSED:
                return 0
            if not (args.follow and check["breach_id"]):
                return 1
            breach_id = check["breach_id"]
        else:
            breach_id = None
        breach = monitors.follow(args.name, breach_id, timeout=args.timeout, progress=_progress)
        print(f"{args.name}: {breach['state']}: {breach['decision'] or breach['reason']}")
        return 0 if breach["state"] == "promoted" else 1
    except (MonitorError, RemoteError, OSError) as exc:
        print(f"scalelab monitor: {exc}", file=sys.stderr)
        return 2
