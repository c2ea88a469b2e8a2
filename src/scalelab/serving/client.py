"""Deploying and calling a project's endpoints from a notebook, a script or the CLI.

A client of the service's deployments API and gateway, with the caller's hub token: in a lab
kernel the service URL, the token and the project are in the environment already. Nothing
here deploys anything itself; the service does, and its events say how it went.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..client import RemoteError, ServiceClient
from ..errors import ScaleLabError
from .policy import ENDPOINT_NAME

# Events that end a roll-out: the version serves (or is being baked) or it was refused.
DONE = frozenset({"ready", "promote"})
SWITCHED = frozenset({"switch"})
REFUSED = frozenset({"failed", "keep_blue", "rollback"})


LABELS_PER_POST = 10_000  # the API's limit per request


def _plain(value: Any) -> Any:
    """numpy and pandas scalars (and arrays, for many rows) as JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return value


class DeploymentError(ScaleLabError):
    """A deployment was refused or did not go live; the message says why in one line."""


class RolloutFailed(DeploymentError):
    """The service took the request, but the version did not go live (its checks failed)."""


def check_endpoint_name(name: str) -> str:
    if not isinstance(name, str) or not re.match(ENDPOINT_NAME, name):
        raise DeploymentError(
            f"{name!r} is no endpoint name: up to 40 lowercase letters, digits and dashes"
        )
    return name


def project_slug(project: str | None) -> str:
    slug = project or os.environ.get("SCALELAB_PROJECT")
    if not slug:
        raise DeploymentError(
            "no project: pass project=... (or open the notebook under projects/<slug>/)"
        )
    return slug


class Endpoints:
    """The endpoints of one project, through the service's API."""

    def __init__(self, project: str | None = None, client: ServiceClient | None = None) -> None:
        self.project = project_slug(project)
        if client is None:
            try:
                client = ServiceClient.from_args(None, None, "deploying")
            except RemoteError as exc:
                raise DeploymentError(str(exc)) from None
        self.client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`path` below the project's deployments; its endpoint name is checked first, since
        it goes into the URL as it is."""
        if path:
            check_endpoint_name(path.split("/")[1])
        try:
            return self.client.call(
                method, f"api/projects/{self.project}/deployments{path}", **kwargs
            )
        except RemoteError as exc:
            raise DeploymentError(str(exc)) from None

    def list(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "")["deployments"]
        return found

    def get(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/{name}")
        return found

    def exists(self, name: str) -> bool:
        return any(d["name"] == name for d in self.list())

    def events(self, name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", f"/{name}/events")["events"]
        return found

    def deploy(
        self,
        model_uri: str,
        name: str,
        *,
        min_replicas: int | None = None,
        max_replicas: int | None = None,
        canary: int = 0,
        wait: bool = True,
        timeout: float = 600,
        progress: Callable[[str], None] | None = print,
    ) -> dict[str, Any]:
        """Serve `model_uri` (`models:/<name>/<version or @alias>`) at endpoint `name`: a new
        endpoint, or the next version blue-green beside the live one. With `wait`, returns
        once the version serves (a new version: once it took the traffic, before its bake
        ends) and raises DeploymentError with the service's reason when it was refused."""
        since = self._last_event(name)
        if since is None:
            body: dict[str, Any] = {"name": name, "model_uri": model_uri}
            if min_replicas is not None:
                body["min_replicas"] = min_replicas
            body["max_replicas"] = max(max_replicas or 1, min_replicas or 1)
            self._call("POST", "", json=body)
            since = 0
        else:
            if min_replicas is not None or max_replicas is not None:
                self.scale(name, min_replicas, max_replicas)
            self._call("POST", f"/{name}/versions", json={"model_uri": model_uri, "canary": canary})
        if not wait:
            return self.get(name)
        self.wait(name, since, DONE | SWITCHED, timeout, progress)
        return self.get(name)

    def wait(
        self,
        name: str,
        since: int,
        until: Iterable[str],
        timeout: float = 600,
        progress: Callable[[str], None] | None = print,
        refused: Iterable[str] = REFUSED,
    ) -> dict[str, Any]:
        """Follow the endpoint's events after id `since` until one of kind `until` (returned)
        or one of kind `refused` (raised)."""
        until, refused = frozenset(until), frozenset(refused)
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(name):
                if event["id"] <= since:
                    continue
                since = event["id"]
                if progress is not None:
                    progress(f"{event['kind']}: {event['message']}")
                if event["kind"] in until:
                    return event
                if event["kind"] in refused:
                    raise RolloutFailed(f"{name}: {event['message']}")
            if time.monotonic() > deadline:
                raise RolloutFailed(f"{name}: no outcome after {timeout:.0f}s; see its events")
            time.sleep(0.5)

    def _last_event(self, name: str) -> int | None:
        """The id of the endpoint's latest event (0 if none); None if it does not exist."""
        if not self.exists(name):
            return None
        return max((e["id"] for e in self.events(name)), default=0)

    def promote(self, name: str) -> dict[str, Any]:
        """Send all traffic to the new version now, ending its bake."""
        self._call("POST", f"/{name}/promote", json={})
        return self.get(name)

    def rollback(
        self, name: str, wait: bool = True, progress: Callable[[str], None] | None = print
    ) -> dict[str, Any]:
        """Back to the version before: a new version under way is dropped at once, else the
        previous one comes back through the usual checks (waited for, with `wait`)."""
        dropping = self.get(name)["green"] is not None
        since = self._last_event(name) or 0
        self._call("POST", f"/{name}/rollback", json={})
        if wait and not dropping:
            self.wait(
                name, since, DONE | SWITCHED, progress=progress, refused=REFUSED - {"rollback"}
            )
        return self.get(name)

    def scale(self, name: str, min_replicas: int | None, max_replicas: int | None) -> None:
        body = {"min_replicas": min_replicas, "max_replicas": max_replicas}
        self._call("PATCH", f"/{name}", json={k: v for k, v in body.items() if v is not None})

    def log_requests(self, name: str, rate: float) -> None:
        """Write this share of the endpoint's requests (0 to 1) to its request log: what
        monitors profile, and what labels are joined to."""
        self._call("PATCH", f"/{name}", json={"request_log_rate": rate})

    def remove(self, name: str) -> None:
        self._call("DELETE", f"/{name}")

    def log_labels(self, name: str, labels: Any) -> int:
        """Post the ground truth of predictions: `labels` maps the request id each prediction
        was answered with (its `X-Request-Id`) to the true value (a list of values for a
        request of many rows); a dict or a pandas Series indexed by request id."""
        items = labels.items() if hasattr(labels, "items") else labels
        pairs = [{"request_id": str(rid), "label": _plain(label)} for rid, label in items]
        stored = 0
        for start in range(0, len(pairs), LABELS_PER_POST):
            answer = self._call(
                "POST", f"/{name}/labels", json={"labels": pairs[start : start + LABELS_PER_POST]}
            )
            stored += int(answer["stored"])
        return stored

    def scores(self, name: str, metric: str = "accuracy", hours: int = 24) -> dict[str, Any]:
        """The model's score per hour on the labels posted so far."""
        found: dict[str, Any] = self._call(
            "GET", f"/{name}/scores", params={"metric": metric, "hours": hours}
        )
        return found

    def url(self, name: str) -> str:
        """Where this client asks the endpoint for predictions."""
        return f"{self.client.url}/serve/{self.project}/{name}/invocations"

    def predict(self, name: str, data: Any, request_id: str | None = None) -> Any:
        """The endpoint's predictions for `data`: a DataFrame, or a dict in MLflow's scoring
        protocol (`dataframe_split`, `dataframe_records`, `instances`, `inputs`). With
        `request_id`, the request is logged under it: post its labels later by that id."""
        check_endpoint_name(name)
        body = scoring_body(data)
        headers = {"Content-Type": "application/json"}
        if request_id is not None:
            headers["X-Request-Id"] = request_id
        try:
            answer = self.client.call(
                "POST", f"serve/{self.project}/{name}/invocations", data=body, headers=headers
            )
        except RemoteError as exc:
            raise DeploymentError(str(exc)) from None
        return (
            answer["predictions"]
            if isinstance(answer, dict) and "predictions" in answer
            else answer
        )


def scoring_body(data: Any) -> str:
    """`data` as a JSON body of MLflow's scoring protocol."""
    if isinstance(data, (str, bytes)):
        text = data.decode() if isinstance(data, bytes) else data
        json.loads(text)  # say it here if it is not JSON at all
        return text
    to_json = getattr(data, "to_json", None)
    if callable(to_json) and hasattr(data, "columns"):  # a pandas DataFrame
        return '{"dataframe_split": ' + str(to_json(orient="split", index=False)) + "}"
    return json.dumps(data)


def deploy(
    model_uri: str, endpoint: str, project: str | None = None, **options: Any
) -> dict[str, Any]:
    """Serve a registered model at a project endpoint; see `Endpoints.deploy`."""
    return Endpoints(project).deploy(model_uri, endpoint, **options)


def predict(endpoint: str, data: Any, project: str | None = None) -> Any:
    """Ask a project endpoint for predictions; see `Endpoints.predict`."""
    return Endpoints(project).predict(endpoint, data)
