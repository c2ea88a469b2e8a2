"""DeploymentPanel: a project's model endpoints, live in the notebook."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import traitlets

from . import _deployments_data as source_data
from ._base import PollingWidget
from ._static import html_table

if TYPE_CHECKING:
    from ..serving.client import Endpoints

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ACTIONS = ("deploy", "promote", "rollback", "scale")
FAILED = {
    "deploy": "Not deployed",
    "promote": "Not promoted",
    "rollback": "Not rolled back",
    "scale": "Not scaled",
}


class BadRequest(ValueError):
    """A request from the front end that cannot be sent as it is; the message says why."""


class DeploymentPanel(PollingWidget):
    """A project's model endpoints: the version each colour serves, the traffic split,
    replicas, requests per second, p50/p99 latency, error rate and history, with a curl and
    a Python example to copy; buttons to deploy a version, promote, roll back and scale for
    those who may (the project's deployers and owners, and hub admins).

    With `endpoint`, that endpoint's details; without, a table of the project's endpoints
    (click one for its details). It reads through the service's API with the kernel's hub
    token (`scalelab.serving.client.Endpoints`: `$SCALELAB_SERVICE_URL`,
    `$JUPYTERHUB_API_TOKEN` and `$SCALELAB_PROJECT`, which ScaleLab sets in project kernels)
    and polls every `refresh_seconds` in a background thread until `close()`. The buttons'
    requests run off the kernel's main thread; how each went shows in one line.

    Example::

        from scalelab.widgets import DeploymentPanel

        DeploymentPanel()  # the project's endpoints
        panel = DeploymentPanel("churn")  # one endpoint, with its history
        panel.close()  # stops polling

    `client` is an `Endpoints` to read through instead (another project, other credentials).
    """

    _esm = HERE / "deployments.js"
    _css = HERE / "widgets.css"

    project = traitlets.Unicode("").tag(sync=True)
    fixed = traitlets.Bool(False).tag(sync=True)  # an endpoint was named: its details only
    endpoints = traitlets.List().tag(sync=True)  # as the service describes them
    selected = traitlets.Unicode("").tag(sync=True)  # whose details: the front end sets it
    history = traitlets.Dict().tag(sync=True)  # {"endpoint", "events"}: the selected one's
    examples = traitlets.Dict().tag(sync=True)  # {"endpoint", "curl", "python", ...}
    access = traitlets.Dict({"role": "", "can_act": False, "archived": False}).tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)  # how the last action went, one line

    def __init__(
        self,
        endpoint: str | None = None,
        project: str | None = None,
        refresh_seconds: float = 5,
        *,
        client: Endpoints | None = None,
    ) -> None:
        self._endpoint = endpoint or ""
        self._project = project
        self._source: Endpoints | None = client
        self._columns: dict[str, list[tuple[str, Any]] | None] = {}
        self._columns_lock = threading.Lock()
        self._action_lock = threading.Lock()
        self._acting = ""
        super().__init__(
            refresh_seconds,
            fixed=bool(self._endpoint),
            selected=self._endpoint,
            project=project or (client.project if client is not None else ""),
        )
        self.observe(self._on_selected, names=["selected"])
        self.on_msg(self._on_front_end_message)

    # -- reading ----------------------------------------------------------------------------

    def _endpoints(self) -> Endpoints:
        """Made by the poller: a kernel without the service's address says so in the widget."""
        if self._source is None:
            from ..serving.client import Endpoints

            self._source = Endpoints(self._project)
        return self._source

    def _fetch(self) -> dict[str, Any]:
        source = self._endpoints()
        values: dict[str, Any] = {
            "project": source.project,
            "access": source_data.caller_access(source),
        }
        found = [source.get(_checked_name(self._endpoint))] if self._endpoint else source.list()
        values["endpoints"] = [source_data.endpoint_json(d) for d in found]
        name = self._endpoint or self.selected
        chosen = next((d for d in found if d["name"] == name), None)
        if chosen is None:
            values["history"], values["examples"] = {}, {}
            return values
        events = source_data.events_json(source.events(name))
        values["history"] = {"endpoint": name, "events": events}
        columns = self._model_columns(source_data.live_version(chosen))
        values["examples"] = source_data.examples(source.project, name, chosen["url"], columns)
        return values

    def _model_columns(self, version: dict[str, Any] | None) -> list[tuple[str, Any]] | None:
        """The version's input columns if known already; else they are looked up in a thread
        of their own (importing MLflow takes seconds: the first poll does not wait for it)."""
        key = source_data.version_label(version)
        if not key:
            return None
        with self._columns_lock:
            if key in self._columns:
                return self._columns[key]
            self._columns[key] = None  # until found; and for good if it cannot be
        threading.Thread(
            target=self._look_up_columns,
            args=(key, version),
            name="scalelab-model-columns",
            daemon=True,
        ).start()
        return None

    def _look_up_columns(self, key: str, version: dict[str, Any] | None) -> None:
        try:
            columns = source_data.model_columns(version)
        # The examples then show placeholder columns: whatever failed is not worth a line.
        except Exception:
            log.debug("no input columns for %s", key, exc_info=True)
            return
        if columns is not None:
            with self._columns_lock:
                self._columns[key] = columns
            self._poke()

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, BadRequest):
            return str(exc)
        return source_data.describe(exc)

    def _poke(self) -> None:
        """Poll soon, without waiting for it (`refresh` waits)."""
        with self._wakeup:
            if not self._stopped:
                self._requested += 1
                self._wakeup.notify_all()

    def _on_selected(self, _change: Any) -> None:
        self._poke()

    # -- acting -----------------------------------------------------------------------------

    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("kind") not in ACTIONS:
            return
        kind = str(content["kind"])
        try:
            doing, call = self._action(kind, content)
        except BadRequest as exc:
            self.notice = f"{FAILED[kind]}: {exc}"
            return
        with self._action_lock:
            if self._acting:
                self.notice = f"{FAILED[kind]}: {self._acting} is under way; try again after it"
                return
            self._acting = doing
        self.notice = f"{doing}…"
        # Off the kernel's main thread: the service may take a while to answer.
        threading.Thread(
            target=self._act, args=(kind, call), name="scalelab-deployment-action", daemon=True
        ).start()

    def _action(self, kind: str, content: dict[str, Any]) -> tuple[str, Callable[[], str]]:
        """What the request does, in words, and a call that does it and says how it went."""
        name = _checked_name(content.get("endpoint"))
        if self._endpoint and name != self._endpoint:
            raise BadRequest(f"this panel shows endpoint {self._endpoint!r} only")
        if kind == "deploy":
            uri = content.get("model_uri")
            if not isinstance(uri, str) or not uri.strip():
                raise BadRequest("give the model's URI, such as models:/NAME/VERSION")
            uri = uri.strip()

            def deploy() -> str:
                self._endpoints().deploy(uri, name, wait=False, progress=None)
                return f"Deploying {uri} to {name}: its history says how it goes"

            return f"Deploying {uri} to {name}", deploy
        if kind == "promote":

            def promote() -> str:
                found = self._endpoints().promote(name)
                live = source_data.version_label(found.get("blue"))
                return f"Promoted {live} on {name}: it takes all traffic"

            return f"Promoting the new version of {name}", promote
        if kind == "rollback":

            def rollback() -> str:
                source = self._endpoints()
                before = source.get(name)
                source.rollback(name, wait=False, progress=None)
                label = source_data.version_label
                if before.get("green"):
                    dropped, live = label(before["green"]), label(before.get("blue"))
                    return f"Rolled back {name}: {dropped} dropped, {live} serves"
                back = label(before.get("previous"))
                return f"Rolling back {name} to {back} through its checks: see its history"

            return f"Rolling back {name}", rollback
        low, high = content.get("min"), content.get("max")
        if not all(type(v) is int and v >= 1 for v in (low, high)):
            raise BadRequest("replicas are whole numbers from 1")
        assert isinstance(low, int) and isinstance(high, int)
        if low > high:
            raise BadRequest("the minimum of replicas is above the maximum")

        def scale() -> str:
            self._endpoints().scale(name, low, high)
            return f"Scaled {name} to between {low} and {high} replicas"

        return f"Scaling {name}", scale

    def _act(self, kind: str, call: Callable[[], str]) -> None:
        try:
            outcome = call()
        # Whatever went wrong (a refusal, a conflict, the service down) is one line.
        except Exception as exc:
            outcome = f"{FAILED[kind]}: {self._describe(exc)}"
        finally:
            with self._action_lock:
                self._acting = ""
        self.notice = outcome
        self._poke()

    # -- exports ----------------------------------------------------------------------------

    def _static_html(self) -> str:
        rows = [_static_row(d) for d in self.endpoints]
        project = self.project or self._project or "?"
        title = (
            f"Endpoint {self._endpoint} of project {project}"
            if self._endpoint
            else f"Endpoints of project {project}"
        )
        headers = [
            "endpoint",
            "state",
            "blue version",
            "green version (traffic)",
            "replicas ready",
            "replicas min-max",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "error rate",
            "url",
        ]
        html = html_table(title, headers, rows, note=self.error)
        history = self.history
        if history.get("events"):
            events = [
                [e["at"], e["kind"], e["actor"], e.get("version"), e["message"]]
                for e in history["events"]
            ]
            html += html_table(
                f"History of endpoint {history['endpoint']}, newest first",
                ["at", "event", "by", "version", "message"],
                events,
            )
        return html


def _checked_name(name: Any) -> str:
    from ..serving.client import DeploymentError, check_endpoint_name

    try:
        return check_endpoint_name(name)
    except DeploymentError as exc:
        raise BadRequest(exc.message) from None


def _static_row(endpoint: dict[str, Any]) -> list[Any]:
    stats = endpoint.get("stats") or {}
    replicas = endpoint.get("replicas") or []
    green = endpoint.get("green")
    new = source_data.version_label(green)
    if green:
        new += f" ({endpoint.get('green_share', 0)}%)"
    rate = stats.get("error_rate")
    return [
        endpoint["name"],
        endpoint.get("state"),
        source_data.version_label(endpoint.get("blue")),
        new,
        f"{sum(1 for r in replicas if r.get('ready'))}/{len(replicas)}",
        f"{endpoint.get('min_replicas')}-{endpoint.get('max_replicas')}",
        stats.get("requests_per_second"),
        stats.get("p50_ms"),
        stats.get("p99_ms"),
        None if rate is None else f"{100 * rate:.2f}%",
        endpoint.get("url"),
    ]
