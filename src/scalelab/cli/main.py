"""The `scalelab` command."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from pathlib import Path

from .._version import __version__


def find_hub_config() -> Path:
    """hub_config/ of the source checkout (editable installs) or of the installed share folder."""
    for candidate in (
        Path(__file__).resolve().parents[3] / "hub_config",
        Path(sys.prefix) / "share" / "scalelab" / "hub_config",
    ):
        if (candidate / "jupyterhub_config.py").exists():
            return candidate
    raise FileNotFoundError("hub_config/jupyterhub_config.py not found; reinstall scalelab")


def cmd_up(args: argparse.Namespace) -> int:
    from ..hub.demo import ensure_accounts
    from ..hub.modes import choose_mode, system_users_blocker
    from ..hub.settings import HubSettings

    env = dict(os.environ)
    overrides = {"data_root": args.data_root, "port": args.port, "mode": args.mode}
    for name, value in overrides.items():
        if value is not None:
            env["SCALELAB_" + name.upper()] = str(value)
    settings = HubSettings.from_environ(env)
    data_root = settings.data.path
    why_local = None
    if not env.get("SCALELAB_MODE"):
        mode, why_local = choose_mode(data_root)
        settings = dataclasses.replace(settings, mode=mode)
    elif settings.mode == "system-users":
        # Refused here, in one line: otherwise every spawn fails later with a bare 500.
        blocker = system_users_blocker(data_root)
        if blocker:
            print(f"scalelab up: {blocker}", file=sys.stderr)
            return 2
    env.update(settings.to_environ())

    hub_config = find_hub_config()
    proxy = hub_config / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        print(
            f"scalelab up: {proxy} is missing; run `make up` (it installs it with npm)",
            file=sys.stderr,
        )
        return 2
    jupyterhub = shutil.which("jupyterhub", path=str(Path(sys.executable).parent))
    if jupyterhub is None:
        print("scalelab up: jupyterhub is not installed in this environment", file=sys.stderr)
        return 2

    settings.data.hub.mkdir(parents=True, exist_ok=True)
    accounts, created = ensure_accounts(settings.data.credentials)
    print(f"\nScaleLab {__version__} starting at {settings.public_url}  (mode: {settings.mode})")
    if why_local and os.geteuid() == 0:  # as root, say what keeps it from the safer mode
        print(f"Not the system-users mode: {why_local}")
    if created:
        print(
            "Demo accounts (shown once; also kept in "
            f"{settings.data.credentials}, readable only by you):"
        )
        for account in accounts:
            print(f"  {account.role:5}  {account.name:8}  {account.password}")
    else:
        print(f"Log in with an account from {settings.data.credentials}")
    print("Stop with Ctrl-C.\n", flush=True)

    argv = [jupyterhub, "-f", str(hub_config / "jupyterhub_config.py")]
    os.chdir(settings.data.hub)
    # exec: Ctrl-C reaches JupyterHub itself, which stops the proxy, the service and the servers.
    os.execve(jupyterhub, argv, env)
    return 0  # not reached


def cmd_run(args: argparse.Namespace) -> int:
    if args.remote:
        from .remote import run_remotely

        return run_remotely(args)
    from .run import run_locally

    return run_locally(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scalelab", description="ScaleLab command line.")
    parser.add_argument("--version", action="version", version=f"scalelab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start JupyterHub, its proxy and the ScaleLab service")
    up.add_argument(
        "--data-root", help="folder for all data (default: $SCALELAB_DATA_ROOT or ./.data)"
    )
    up.add_argument("--port", type=int, help="public port (default 8000)")
    up.add_argument(
        "--mode",
        choices=["local", "system-users"],
        help="deployment mode (default: $SCALELAB_MODE, else system-users when run as root "
        "from a place every user can reach, else local)",
    )
    up.set_defaults(func=cmd_up)

    run = commands.add_parser(
        "run",
        help="run a notebook or pipeline.yaml here, without a hub (as CI does)",
        description="Run a parameterized notebook or a pipeline.yaml and keep its run record. "
        "Exits 0 when every step succeeded, 1 when a step failed, 2 on bad input.",
    )
    run.add_argument("path", help="a notebook (.ipynb) or a pipeline (.yaml)")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter value; repeat for more",
    )
    from ..runs.executors import executor_names

    run.add_argument(
        "--executor",
        default="local",
        metavar="NAME",
        help=f"where steps run: {', '.join(executor_names())} (default: %(default)s)",
    )
    run.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="scheduler address for --executor dask (default: a local cluster)",
    )
    run.add_argument(
        "--runs-dir",
        default=".scalelab-runs",
        help="folder for run records and output notebooks (default: %(default)s)",
    )
    run.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    from .options import add_option_arguments

    add_option_arguments(run)
    run.add_argument("--kernel", default="", help="kernelspec to use instead of the notebook's")
    run.add_argument("--parallel", type=int, default=2, help="steps at the same time")
    run.add_argument("--quiet", action="store_true", help="print only the final line")
    run.add_argument(
        "--remote",
        metavar="URL",
        help="submit to a ScaleLab service instead (its /services/scalelab/ URL); "
        "PATH is then relative to the project's workspace",
    )
    run.add_argument("--project", help="with --remote: the project's slug")
    run.add_argument(
        "--token", help="with --remote: a JupyterHub API token (default: $JUPYTERHUB_API_TOKEN)"
    )
    run.set_defaults(func=cmd_run)
    from .schedule import add_parser as add_schedule_parser

    add_schedule_parser(commands)
    from .deploy import add_parsers as add_deploy_parsers

    add_deploy_parsers(commands)
    from .monitor import add_parser as add_monitor_parser

    add_monitor_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
