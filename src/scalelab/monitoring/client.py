"""Monitors of a project's endpoints from a notebook, a script or CI: set one up, check now,
and follow a breach's loop (retrain, stage, weigh, promote or keep) step by step.

A client of the service's monitors API, with the caller's hub token (in a lab kernel the
service URL, the token and the project are in the environment already).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..client import RemoteError, ServiceClient
from ..errors import ScaleLabError
from .policy import FINAL


class MonitorError(ScaleLabError):
    """The service refused, or a loop did not end in time; the message says why."""


class Monitors:
    """The monitors of one project, through the service's API."""

    def __init__(self, project: str | None = None, client: ServiceClient | None = None) -> None:
        from ..serving.client import DeploymentError, project_slug

        try:
            self.project = project_slug(project)
            self.client = client or ServiceClient.from_args(None, None, "monitoring")
        except (DeploymentError, RemoteError) as exc:
            raise MonitorError(str(exc)) from None

    def _call(self, method: str, path: str = "", **kwargs: Any) -> Any:
        try:
            return self.client.call(method, f"api/projects/{self.project}/monitors{path}", **kwargs)
        except RemoteError as exc:
            raise MonitorError(str(exc)) from None

    def list(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET")["monitors"]
        return found

    def get(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/{quote(name)}")
        return found

    def create(self, name: str, endpoint: str, **settings: Any) -> dict[str, Any]:
        """A monitor of `endpoint`; `settings` as the API takes them (cron, window_hours,
        metric, score_limit, retrain={target, parameters, model_name, margin}, ...)."""
        body = {"name": name, "endpoint": endpoint, **settings}
        found: dict[str, Any] = self._call("POST", json=body)
        return found

    def update(self, name: str, **changes: Any) -> dict[str, Any]:
        found: dict[str, Any] = self._call("PATCH", f"/{quote(name)}", json=changes)
        return found

    def delete(self, name: str) -> None:
        self._call("DELETE", f"/{quote(name)}")

    def history(self, name: str) -> dict[str, Any]:
        """The last checks and breaches, each breach with every step of its loop."""
        found: dict[str, Any] = self._call("GET", f"/{quote(name)}/checks")
        return found

    def check(
        self,
        name: str,
        timeout: float = 600,
        progress: Callable[[str], None] | None = print,
    ) -> dict[str, Any]:
        """Check now and return the check once it is over."""
        before = {c["id"] for c in self.history(name)["checks"]}
        self._call("POST", f"/{quote(name)}/check")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for found in self.history(name)["checks"]:
                if found["id"] not in before and found["status"] != "running":
                    if progress is not None:
                        progress(f"check {found['id']}: {found['status']} {found['message']}")
                    return dict(found)
            time.sleep(1)
        raise MonitorError(f"{name}: the check did not end within {timeout:.0f}s")

    def follow(
        self,
        name: str,
        breach_id: int | None = None,
        timeout: float = 3600,
        progress: Callable[[str], None] | None = print,
    ) -> dict[str, Any]:
        """Follow a breach (the latest if `breach_id` is None) until its loop is over,
        printing each step as it comes; the breach at its end."""
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            breaches = self.history(name)["breaches"]
            breach = next((b for b in breaches if breach_id is None or b["id"] == breach_id), None)
            if breach is None:
                raise MonitorError(f"{name}: no breach to follow")
            for step in breach["steps"][seen:]:
                if progress is not None:
                    progress(f"{step['state']}: {step['message']}")
            seen = len(breach["steps"])
            if breach["state"] in FINAL:
                return dict(breach)
            if time.monotonic() > deadline:
                raise MonitorError(
                    f"{name}: the loop is still {breach['state']} after {timeout:.0f}s"
                )
            time.sleep(2)
