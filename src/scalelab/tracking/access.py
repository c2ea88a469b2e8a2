"""Which project role an MLflow request needs: pure rules, read by the tracking proxy.

Each project has an MLflow server of its own, so the proxy never needs to know *which*
experiment or model a request touches (ids come in bodies, queries and paths): only what kind
of request it is. Reads need `viewer`, logging needs `editor`, the model registry's writes need
`deployer`. A route family not listed here is refused: MLflow grows routes every release, and
some (webhooks, the AI gateway, prompt optimisation jobs) make outbound calls or run code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from ..roles import RoleName

READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Family:
    """Routes matching `pattern` (after the project prefix): who may read, who may write."""

    pattern: re.Pattern[str]
    reads: RoleName | None = "viewer"
    writes: RoleName | None = None


def _family(pattern: str, reads: RoleName | None = "viewer", writes: RoleName | None = None):
    return Family(re.compile(pattern), reads, writes)


_API = r"(?:ajax-)?api/[23]\.0/mlflow/"
_ARTIFACTS = r"(?:ajax-)?api/2\.0/mlflow-artifacts/"

FAMILIES: tuple[Family, ...] = (
    # The UI: its page, scripts and what it asks about the server.
    _family(r"(?:|static-files/.+|health|version|favicon\.ico)"),
    _family(_API + r"server-info"),
    # Tracking: experiments, runs, their metrics, logged models, traces and datasets.
    _family(
        _API + r"(?:experiments|runs|metrics|logged-models|traces|datasets)(?:/.*)?",
        "viewer",
        "editor",
    ),
    _family(_API + r"(?:unified-traces|get-trace-artifact|get-online-trace-details)"),
    # The registry: anyone in the project reads it, deployers change it.
    _family(_API + r"(?:registered-models|model-versions)(?:/.*)?", writes="deployer"),
    # Artifacts, served by the project's server from its own folder (never presigned URLs).
    _family(_API + r"artifacts/list"),
    _family(
        _ARTIFACTS + r"(?:artifacts|mpu/(?:create|complete|abort))(?:/.*)?", "viewer", "editor"
    ),
    _family(r"ajax-api/2\.0/mlflow/upload-artifact", None, "editor"),
    _family(r"(?:model-versions/)?get-artifact"),
    _family(r"graphql"),  # the UI's queries; MLflow's schema has no mutation that writes
)

# POSTs that only read: searches, whose filters do not fit in a query string.
_READ_POST = re.compile(r"(?:^|/)(?:search|search-datasets|get-latest-versions|batchGetInfos)$")


@dataclass(frozen=True)
class Decision:
    """The role a request needs, or why it is refused (`status` and a message for people)."""

    role: RoleName | None = None
    status: int = 200
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.role is not None


def _refuse(status: int, message: str) -> Decision:
    return Decision(None, status, message)


def needed_role(method: str, path: str) -> Decision:
    """The role `method` on `path` (relative to the project's tracking prefix) needs."""
    method = method.upper()
    family = next((f for f in FAMILIES if f.pattern.fullmatch(path)), None)
    if family is None:
        return _refuse(404, f"{path or '/'} is not a tracking route ScaleLab serves")
    if (
        method in READ_METHODS
        or (method == "POST" and path == "graphql")
        or (method == "POST" and _READ_POST.search(path))
    ):
        role = family.reads
    elif method in WRITE_METHODS:
        role = family.writes
    else:
        return _refuse(405, f"{method} is not allowed on tracking routes")
    if role is None:
        return _refuse(405, f"{method} is not allowed on {path}")
    return Decision(role)


def traversal(raw_path: str, raw_query: str) -> str | None:
    """Why a request's path or query could reach outside its folder, or None if it cannot.

    Artifact paths arrive both in the URL path and in `?path=`; each is decoded as often as it
    still changes, so `%2e%2e%2f` and `%252e%252e` are caught as `../` is.
    """
    queried = [v for _, v in parse_qsl(raw_query, keep_blank_values=True)]
    for index, value in enumerate([raw_path, *queried]):
        decoded = _decode_fully(value)
        if "\x00" in decoded or "\\" in decoded:
            return "NUL characters and backslashes are not allowed in paths"
        if any(part == ".." for part in decoded.split("/")):
            return "'..' is not allowed in paths"
        if index and decoded.startswith("/"):
            return "absolute paths are not allowed in the query"
    return None


def _decode_fully(value: str, rounds: int = 4) -> str:
    for _ in range(rounds):
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    return value
