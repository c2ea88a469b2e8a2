"""Work done for a project in a process of its own, as a reader of the project.

Fetching a model and checking a monitor read the project's MLflow server; they run as a child
process whose MLflow client goes through the tracking proxy with a token that opens this one
project as a viewer, and whose environment holds none of the service's credentials. Whatever
the child imports (whylogs, a model's flavour) stays out of the service's memory.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from ..environ import child_environ
from ..errors import Conflict
from ..tracking.quiet import NO_TELEMETRY
from .run_tokens import RunGrant, RunTokens


class ReaderFailed(Conflict):
    """The child failed; its message is the last line it wrote on stderr."""


async def run_reader(
    run_tokens: RunTokens,
    service_url: str,
    *,
    project_id: int,
    slug: str,
    actor: str,
    module: str,
    args: list[str],
    timeout: float,
    what: str,
) -> bytes:
    """Run `python -m module args...` as a reader of project `slug`; its stdout. `what` names
    the work in errors ("fetching models:/x/1")."""
    grant = RunGrant(
        run_id=f"reader-{uuid.uuid4().hex}",
        project_id=project_id,
        slug=slug,
        user=actor,
        role="viewer",
    )
    token = run_tokens.issue(grant)
    env = {
        **child_environ(),
        **NO_TELEMETRY,
        "MLFLOW_TRACKING_URI": f"{service_url}mlflow/{slug}",
        "MLFLOW_TRACKING_TOKEN": token,
    }
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except (TimeoutError, asyncio.CancelledError):
            process.kill()
            await process.wait()
            raise ReaderFailed(f"{what} took more than {timeout:g}s") from None
    finally:
        run_tokens.revoke(grant.run_id)
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise ReaderFailed(lines[-1] if lines else f"{what} failed")
    return out
