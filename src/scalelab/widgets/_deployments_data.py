"""A project's endpoints for the DeploymentPanel: what it syncs, read through the service's
deployments API (`scalelab.serving.client.Endpoints`), and the examples it shows.

mlflow is imported inside functions: it takes seconds, and importing the widgets should not.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from typing import TYPE_CHECKING, Any

from ..roles import includes
from ._base import one_line

if TYPE_CHECKING:
    from ..serving.client import Endpoints

MODEL_URI = re.compile(r"^(models|runs):/\S{1,490}$")
# The newest events only: the history is synced with every poll that changes it.
MAX_EVENTS = 100
# The sample row of the examples, by MLflow column type.
SAMPLES: dict[str, Any] = {
    "boolean": False,
    "integer": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "binary": "",
    "datetime": "2026-01-01T00:00:00",
}
PLACEHOLDER_COLUMNS = [("feature_1", 0.0), ("feature_2", 0.0)]


def caller_access(endpoints: Endpoints) -> dict[str, Any]:
    """The caller's role in the project, and whether it may deploy, promote, roll back and
    scale: a deployer or owner, or a hub admin (whose `my_role` is null unless a member)."""
    project = endpoints.client.call("GET", f"api/projects/{endpoints.project}")
    role = project.get("my_role")
    admin = False
    if not includes(role, "deployer"):
        me = endpoints.client.call("GET", "api/me")
        admin = bool(me.get("admin"))
    return {
        "role": role or ("admin" if admin else ""),
        "can_act": includes(role, "deployer") or admin,
        "archived": bool(project.get("archived")),
    }


def endpoint_json(found: dict[str, Any]) -> dict[str, Any]:
    """The endpoint as the service describes it, minus what changes without meaning anything
    (every poll would otherwise resend it)."""
    return {k: v for k, v in found.items() if k != "updated_at"}


def events_json(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return events[:MAX_EVENTS]


def live_version(endpoint: dict[str, Any]) -> dict[str, Any] | None:
    """The version taking (most of) the traffic: blue, or green once it took it all."""
    green, blue = endpoint.get("green"), endpoint.get("blue")
    if green and endpoint.get("green_share", 0) >= 100:
        return dict(green)
    return dict(blue) if blue else None


def version_label(version: dict[str, Any] | None) -> str:
    if not version:
        return ""
    if version.get("name") and version.get("version"):
        return f"{version['name']}/{version['version']}"
    return str(version.get("uri", ""))


def model_columns(version: dict[str, Any] | None) -> list[tuple[str, Any]] | None:
    """The named input columns of a deployed version's signature, with a sample value each;
    None when they cannot be known here: no MLflow server configured (`$MLFLOW_TRACKING_URI`,
    which ScaleLab sets in project kernels), no signature, or a tensor signature."""
    if not version or not os.environ.get("MLFLOW_TRACKING_URI", "").strip():
        return None
    if version.get("name") and version.get("version"):
        uri = f"models:/{version['name']}/{version['version']}"
    else:
        uri = str(version.get("uri") or "")
    if not MODEL_URI.match(uri):
        return None
    import mlflow.models

    signature = mlflow.models.get_model_info(uri).signature
    inputs = signature.inputs if signature is not None else None
    if inputs is None or not inputs.has_input_names():
        return None
    columns = []
    for spec in inputs.to_dict():
        if "name" not in spec:
            return None
        columns.append((str(spec["name"]), SAMPLES.get(str(spec.get("type")), 0.0)))
    return columns or None


def examples(
    project: str, name: str, url: str, columns: list[tuple[str, Any]] | None
) -> dict[str, Any]:
    """A curl command and a Python snippet asking endpoint `name` for predictions."""
    known = columns is not None
    shown = columns if columns is not None else PLACEHOLDER_COLUMNS
    split = {"columns": [c for c, _ in shown], "data": [[v for _, v in shown]]}
    body = json.dumps({"dataframe_split": split})
    curl = (
        f"curl -X POST {shlex.quote(url)} \\\n"
        '  -H "Authorization: token $JUPYTERHUB_API_TOKEN" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(body)}"
    )
    frame = ", ".join(f"{c!r}: [{v!r}]" for c, v in shown)
    python = (
        "import pandas as pd\n"
        "from scalelab.serving.client import predict\n"
        "\n"
        f"rows = pd.DataFrame({{{frame}}})\n"
        f"predict({name!r}, rows, project={project!r})"
    )
    return {"endpoint": name, "curl": curl, "python": python, "columns_known": known}


def describe(exc: Exception) -> str:
    """One line: the client's messages are written for people already."""
    from ..client import RemoteError
    from ..serving.client import DeploymentError

    if isinstance(exc, DeploymentError | RemoteError):
        return one_line(str(exc))
    return one_line(f"{type(exc).__name__}: {exc}")
