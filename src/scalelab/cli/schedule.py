"""`scalelab schedule create|list|show|history|pause|resume|delete`, against a service.

Exit codes: 0 done, 2 refused (bad input, no access, unreachable) with one line saying why.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..client import RemoteError, ServiceClient
from ..errors import InvalidInput
from ..runs.parameters import parse_assignments
from .options import add_option_arguments, job_options
from .remote import typed_parameters


class _Reuse(argparse.Action):
    """`--reuse`, from before `--no-fresh`: still understood, with a word to move on."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print("scalelab schedule: --reuse is deprecated, use --no-fresh", file=sys.stderr)
        namespace.fresh = False


def add_parser(commands: Any) -> None:
    schedule = commands.add_parser(
        "schedule",
        help="manage a project's scheduled runs on a ScaleLab service",
        description="Schedules of a project on a ScaleLab service. Exits 0 when done, 2 when "
        "refused, with one line saying why.",
    )
    schedule.add_argument(
        "--service", help="the service's URL (default: $SCALELAB_SERVICE_URL)", default=None
    )
    schedule.add_argument("--token", help="a JupyterHub API token (default: $JUPYTERHUB_API_TOKEN)")
    schedule.add_argument("--project", required=True, help="the project's slug")
    actions = schedule.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", help="schedule a notebook or pipeline.yaml")
    create.add_argument("target", nargs="?", help="notebook or pipeline.yaml in the workspace")
    create.add_argument("--from-run", help="take target and parameters from this run")
    create.add_argument("--name", required=True)
    create.add_argument("--cron", required=True, help='five fields, e.g. "0 6 * * 1-5"')
    create.add_argument("--timezone", default="UTC", help="IANA name (default: %(default)s)")
    create.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    # Left out: fresh runs, and the service's executor settings for retries and timeout.
    add_option_arguments(create, fresh_default="fresh")
    create.add_argument("--reuse", action=_Reuse, nargs=0, help="deprecated: --no-fresh")
    create.add_argument("--misfire", choices=["skip", "run_once"], default="run_once")
    create.add_argument(
        "--misfire-deadline", type=int, default=3600, help="seconds (default: %(default)s)"
    )
    create.add_argument("--concurrency", choices=["allow", "forbid", "replace"], default="forbid")
    create.add_argument("--notify", choices=["failure", "always", "never"], default="failure")
    create.add_argument("--webhook", help="Slack-compatible incoming webhook URL")
    create.add_argument("--paused", action="store_true")

    actions.add_parser("list", help="the project's schedules")
    for name, text in (
        ("show", "one schedule and its next fire times"),
        ("history", "what happened at each fire time"),
        ("pause", "stop firing until resumed"),
        ("resume", "fire again, from the next fire time on"),
        ("delete", "delete the schedule; its runs stay"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("id", type=int, help="the schedule's id")
    schedule.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        client = ServiceClient.from_args(args.service, args.token, "scalelab schedule")
        return ACTIONS[args.action](client, args)
    except RemoteError as exc:
        print(f"scalelab schedule {args.action}: {exc}", file=sys.stderr)
        return 2


def _base(args: argparse.Namespace) -> str:
    return f"api/projects/{args.project}/schedules"


def create(client: ServiceClient, args: argparse.Namespace) -> int:
    try:
        options = job_options(args).given()
    except InvalidInput as exc:
        raise RemoteError(exc.message) from None
    target, parameters = args.target, parse_assignments(args.parameter)
    if args.from_run:
        run = client.call("GET", f"api/projects/{args.project}/runs/{args.from_run}")
        target = target or run["target"]
        parameters = {
            **run["parameters"],
            **typed_parameters(client, args.project, target, parameters),
        }
    elif not target:
        raise RemoteError("give the notebook or pipeline to schedule, or --from-run RUN")
    else:
        parameters = typed_parameters(client, args.project, target, parameters)
    body = {
        "name": args.name,
        "target": target,
        "parameters": parameters,
        "cron": args.cron,
        "timezone": args.timezone,
        **options,
        "misfire": args.misfire,
        "misfire_deadline": args.misfire_deadline,
        "concurrency": args.concurrency,
        "notify": args.notify,
        "paused": args.paused,
    }
    if args.webhook:
        body["webhook_url"] = args.webhook
    schedule = client.call("POST", _base(args), json=body)
    print(f"schedule {schedule['id']} {schedule['name']!r} created")
    _print_times(schedule)
    return 0


def _print_times(schedule: dict[str, Any]) -> None:
    state = " (paused: these are the times it would fire)" if schedule["paused"] else ""
    print(f"next fire times in {schedule['timezone']}{state}:")
    for t in schedule["next_fire_times"]:
        print(f"  {t}")


def list_(client: ServiceClient, args: argparse.Namespace) -> int:
    schedules = client.call("GET", _base(args))["schedules"]
    if not schedules:
        print(f"no schedules in project {args.project}")
        return 0
    rows = [("ID", "NAME", "CRON", "TIMEZONE", "STATE", "NEXT FIRE", "LAST RUN")]
    for s in schedules:
        last = f"{s['last_run_id']} {s['last_status']}" if s["last_run_id"] else "-"
        state = "paused" if s["paused"] else "active"
        rows.append(
            (
                str(s["id"]),
                s["name"],
                s["cron"],
                s["timezone"],
                state,
                s["next_fire_at"] or "-",
                last,
            )
        )
    _print_table(rows)
    return 0


def show(client: ServiceClient, args: argparse.Namespace) -> int:
    s = client.call("GET", f"{_base(args)}/{args.id}")
    print(f"{s['id']} {s['name']}: {s['target']} at {s['cron']!r}")
    print(
        f"  misfire {s['misfire']} (deadline {s['misfire_deadline']} s), concurrency "
        f"{s['concurrency']}, notify on {s['notify']}"
    )
    _print_times(s)
    return 0


def history(client: ServiceClient, args: argparse.Namespace) -> int:
    events = client.call("GET", f"{_base(args)}/{args.id}/history")["events"]
    rows = [("DUE", "OUTCOME", "RUN", "STATUS", "DETAIL")]
    for e in events:
        rows.append(
            (e["due_at"], e["outcome"], e["run_id"] or "-", e["run_status"] or "-", e["detail"])
        )
    _print_table(rows)
    return 0


def _set_paused(paused: bool) -> Any:
    def action(client: ServiceClient, args: argparse.Namespace) -> int:
        s = client.call("PATCH", f"{_base(args)}/{args.id}", json={"paused": paused})
        print(f"schedule {s['id']} {s['name']!r} {'paused' if paused else 'resumed'}")
        if not paused:
            print(f"next fire time: {s['next_fire_at']}")
        return 0

    return action


def delete(client: ServiceClient, args: argparse.Namespace) -> int:
    client.call("DELETE", f"{_base(args)}/{args.id}")
    print(f"schedule {args.id} deleted")
    return 0


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


ACTIONS = {
    "create": create,
    "list": list_,
    "show": show,
    "history": history,
    "pause": _set_paused(True),
    "resume": _set_paused(False),
    "delete": delete,
}
