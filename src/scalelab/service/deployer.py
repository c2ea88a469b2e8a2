"""Deploying, switching, rolling back and scaling endpoints; bringing them back after a restart.

Every change of what serves an endpoint goes through here, under the endpoint's lock, and is
written to the store with an event saying who or what did it and why. A new version always
starts beside the live one (green beside blue) and takes traffic only after its checks:
readiness, the input signature against the live version's, a smoke request from its input
example. Then a bake: its error rate decides whether it stays (promote) or traffic goes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..dataroot import DataRoot
from ..errors import Conflict, InvalidInput, NotFound, ScaleLabError
from ..serving.policy import ScalePolicy, signature_mismatch
from ..store import deployments as repo
from ..store.db import Store
from ..store.models import DeploymentRow
from ..unix import give_tree
from .endpoints import (
    NO_REPLICA,
    Colour,
    Endpoint,
    ReplicaSet,
    Router,
    Version,
    Watcher,
    stop_set,
)
from .local_http import ExpiringCache
from .reader import ReaderFailed, run_reader
from .replicas import Replica, ReplicaBackend, ReplicaFailed, Serving
from .request_log import RequestLog
from .run_tokens import RunTokens
from .tracking import TrackingBackends, TrackingUnavailable

MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")
FETCH_TIMEOUT = 600


class DeployFailed(ScaleLabError):
    """A version that cannot serve: it did not load, or failed a check."""


class Deployer:
    """The service's endpoints: what serves each, and every change to it."""

    def __init__(
        self,
        config: Serving,
        store: Store,
        data: DataRoot,
        tracking: TrackingBackends,
        run_tokens: RunTokens,
        service_url: str,
        run_as: Callable[[str], str | None] = lambda slug: None,
    ) -> None:
        self.config = config
        # The OS account a project's replicas run as (the system-users mode: its own), since
        # a model may hold code (a pyfunc) written by the project's deployers.
        self.run_as = run_as
        self.log = config.log
        self.store = store
        self.data = data
        self.tracking = tracking
        self.run_tokens = run_tokens
        self.service_url = service_url
        self.launcher: ReplicaBackend = config.backend_class(config)
        self.router = Router(self.launcher, config)
        self.watcher = Watcher(config)
        self.endpoints: dict[int, Endpoint] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watch: asyncio.Task[None] | None = None
        self._closing = False
        # Endpoint keys the gateway saw lately (digest -> endpoint); revoking clears it.
        self.keys: ExpiringCache[str, int] = ExpiringCache(config.key_check_seconds)
        self.request_log = RequestLog(config.request_log_mb)

    # ---- lookups -------------------------------------------------------------------------

    def endpoint(self, deployment_id: int) -> Endpoint | None:
        return self.endpoints.get(deployment_id)

    def find(self, slug: str, name: str) -> Endpoint | None:
        for endpoint in self.endpoints.values():
            if endpoint.name == name and endpoint.slug == slug:
                return endpoint
        return None

    def log_folder(self, endpoint: Endpoint) -> Path:
        return self.log_folder_of(endpoint.project_id, endpoint.name)

    def log_folder_of(self, project_id: int, name: str) -> Path:
        """Where an endpoint's request log is (also while it is not running)."""
        return self.folder(project_id) / "requests" / name

    def _open_models(self, project_id: int, account: str) -> None:
        """Let the project's account read its own models, and nothing else of the serving
        folder: the folders above are search-only, the models its own (0700), the request
        logs and replica logs stay the service's."""
        project = self.folder(project_id)
        for folder in (self.data.serving, project):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o711)
        for top in (project / "models", project / "runs"):
            if top.is_dir():
                give_tree(top, account)

    def folder(self, project_id: int) -> Path:
        return self.data.serving / str(project_id)

    def _policy(self, row: DeploymentRow) -> ScalePolicy:
        c = self.config
        return ScalePolicy(
            min_replicas=row.min_replicas,
            max_replicas=row.max_replicas,
            target_in_flight=c.target_in_flight,
            up_after=c.scale_up_after,
            down_after=c.scale_down_after,
            window=c.load_window,
        )

    # ---- what the API calls ----------------------------------------------------------------

    async def create(
        self,
        project_id: int,
        slug: str,
        name: str,
        model_uri: str,
        actor: str,
        *,
        min_replicas: int,
        max_replicas: int,
        request_log_rate: float,
    ) -> DeploymentRow:
        """A new endpoint; its first version is fetched and started in the background."""
        policy_check(min_replicas, max_replicas, self.config)
        check_model_uri(model_uri)
        with self.store.session() as session:
            row = repo.create_deployment(
                session,
                project_id,
                name,
                state="starting",
                min_replicas=min_replicas,
                max_replicas=max_replicas,
                replicas=min_replicas,
                created_by=actor,
                request_log_rate=request_log_rate,
            )
            repo.record_event(
                session, row.id, "deploy", actor, f"endpoint created with {model_uri}"
            )
            session.commit()
            session.refresh(row)
            session.expunge(row)
        endpoint = Endpoint(row.id, project_id, slug, name, self._policy(row))
        endpoint.request_log_rate = request_log_rate
        self.endpoints[row.id] = endpoint
        self._spawn(self._roll_out(endpoint, model_uri, actor, canary=0))
        self._start_watch()
        return row

    async def deploy(self, endpoint: Endpoint, model_uri: str, actor: str, canary: int) -> None:
        """Start rolling out another version (blue-green); refused while one is under way."""
        check_model_uri(model_uri)
        if endpoint.lock.locked() or endpoint.green is not None:
            raise Conflict(
                f"endpoint {endpoint.name!r} is already switching versions; wait for it to end "
                "(or roll it back)"
            )
        self._event(endpoint, "deploy", actor, f"deploying {model_uri}", None)
        self._spawn(self._roll_out(endpoint, model_uri, actor, canary))

    async def stage(self, endpoint: Endpoint, model_uri: str, actor: str) -> Version:
        """Start `model_uri` as green beside the live version and hold it there: no traffic,
        no bake, until `promote` or `rollback` decides (a monitor's retrain loop weighs it on
        labelled requests first). Returns once green passed its checks; raises if it did not,
        the live version serving on."""
        check_model_uri(model_uri)
        if endpoint.blue is None:
            raise Conflict(f"endpoint {endpoint.name!r} has no live version to compare with")
        if endpoint.lock.locked() or endpoint.green is not None:
            raise Conflict(f"endpoint {endpoint.name!r} is already switching versions")
        self._event(endpoint, "deploy", actor, f"staging {model_uri} as green (no traffic)")
        async with endpoint.lock:
            self._save(endpoint, state="deploying")
            try:
                version = await self._fetch(endpoint, model_uri, actor)
                await self._start_green(endpoint, version, actor, canary=0, hold=True)
            except BaseException:
                self._save(endpoint, state="live")
                raise
        return version

    async def ask(self, endpoint: Endpoint, colour: Colour, body: bytes) -> tuple[int, bytes]:
        """One prediction request to the `colour` version only (green held for evaluation);
        (status, body). Not logged, not counted in the endpoint's traffic."""
        replica_set = endpoint.set_of(colour)
        ready = replica_set.ready() if replica_set is not None else []
        if not ready:
            return 503, NO_REPLICA
        replica = min(ready, key=lambda r: r.in_flight)
        try:
            response = await self.launcher.call(replica, "POST", "invocations", body)
        except OSError as exc:
            return 599, str(exc).encode()
        return response.code, response.body or b""

    async def promote(
        self, endpoint: Endpoint, actor: str, reason: str = "promoted by hand"
    ) -> None:
        """Send all traffic to green now and end the bake (green stays and blue stops)."""
        if endpoint.green is None:
            raise Conflict(f"endpoint {endpoint.name!r} has no new version to promote")
        await self._promote(endpoint, actor, reason)

    async def rollback(
        self, endpoint: Endpoint, actor: str, reason: str = "rolled back by hand"
    ) -> None:
        """Back to the version before: a green under way is dropped, or the previous version
        comes back through the same checks as any new one."""
        if endpoint.green is not None:
            await self._drop_green(endpoint, actor, "rollback", reason)
            return
        if endpoint.previous is None:
            raise Conflict(f"endpoint {endpoint.name!r} has no earlier version to go back to")
        previous = endpoint.previous
        self._event(endpoint, "rollback", actor, f"rolling back to {previous.label}", previous)
        self._spawn(self._roll_out(endpoint, previous.uri, actor, canary=0, known=previous))

    async def scale(
        self, endpoint: Endpoint, actor: str, min_replicas: int, max_replicas: int
    ) -> None:
        policy_check(min_replicas, max_replicas, self.config)
        async with endpoint.lock:
            with self.store.session() as session:
                row = repo.deployment_by_id(session, endpoint.id)
                assert row is not None
                repo.update_deployment(
                    session, row, min_replicas=min_replicas, max_replicas=max_replicas
                )
                session.commit()
                endpoint.policy = self._policy(row)
            self._event(
                endpoint, "scale", actor, f"replicas between {min_replicas} and {max_replicas}"
            )
        await self._autoscale(endpoint, time.monotonic())

    def set_request_log_rate(self, endpoint: Endpoint, rate: float) -> None:
        endpoint.request_log_rate = rate
        with self.store.session() as session:
            row = repo.deployment_by_id(session, endpoint.id)
            assert row is not None
            repo.update_deployment(session, row, request_log_rate=rate)
            session.commit()

    async def remove(self, endpoint: Endpoint, actor: str) -> None:
        """Stop the endpoint's replicas (after their requests) and forget it."""
        async with endpoint.lock:
            self.endpoints.pop(endpoint.id, None)
            for replica_set in endpoint.colours():
                await stop_set(self.launcher, replica_set, self.config.drain_timeout)
            with self.store.session() as session:
                row = repo.deployment_by_id(session, endpoint.id)
                if row is not None:
                    repo.delete_deployment(session, row)
                    session.commit()
        self.log.info("endpoint %s/%s removed by %s", endpoint.slug, endpoint.name, actor)

    # ---- rolling out -------------------------------------------------------------------------

    async def _roll_out(
        self,
        endpoint: Endpoint,
        model_uri: str,
        actor: str,
        canary: int,
        known: Version | None = None,
    ) -> None:
        async with endpoint.lock:
            if endpoint.blue is not None:
                self._save(endpoint, state="deploying")  # until green serves or is refused
            try:
                version = known or await self._fetch(endpoint, model_uri, actor)
                if endpoint.blue is None:
                    await self._first_version(endpoint, version, actor)
                else:
                    await self._start_green(endpoint, version, actor, canary)
            except (DeployFailed, ReplicaFailed, InvalidInput, NotFound) as exc:
                kept = endpoint.blue is not None
                self._event(
                    endpoint,
                    "keep_blue" if kept else "failed",
                    actor,
                    f"{exc.message}" + ("; the live version keeps serving" if kept else ""),
                )
                self._save(endpoint, state="live" if kept else "failed")
            except Exception as exc:  # anything else: recorded, the live version stays
                self.log.exception("deploying %s to %s failed", model_uri, endpoint.name)
                kept = endpoint.blue is not None
                self._event(endpoint, "failed", actor, f"{type(exc).__name__}: {exc}")
                self._save(endpoint, state="live" if kept else "failed")

    async def _first_version(self, endpoint: Endpoint, version: Version, actor: str) -> None:
        blue = ReplicaSet("blue", version)
        endpoint.blue = blue
        count = endpoint.policy.min_replicas
        try:
            await self._grow(endpoint, blue, count)
            await self._smoke(blue)
        except BaseException:
            await stop_set(self.launcher, blue, 0)
            endpoint.blue = None
            raise
        endpoint.last_scale = time.monotonic()
        self._save(endpoint, state="live")
        self._event(
            endpoint, "ready", actor, f"{version.label} live on {count} replica(s)", version
        )

    async def _start_green(
        self, endpoint: Endpoint, version: Version, actor: str, canary: int, hold: bool = False
    ) -> None:
        blue = endpoint.blue
        assert blue is not None
        green = ReplicaSet("green", version)
        count = max(len(blue.replicas), endpoint.policy.min_replicas)
        try:
            await self._grow(endpoint, green, count)
            await self._check_signature(blue, green)
            await self._smoke(green)
        except BaseException:
            await stop_set(self.launcher, green, 0)
            raise
        endpoint.green = green
        if hold:  # no traffic and no bake: whoever staged it decides
            endpoint.green_share, endpoint.bake_started = 0, None
            self._save(endpoint, state="staged")
            self._event(
                endpoint,
                "staged",
                actor,
                f"{version.label} passed its checks and waits beside {blue.version.label}, "
                "without traffic",
                version,
            )
            return
        endpoint.green_share = canary if 0 < canary < 100 else 100
        endpoint.bake_started = time.monotonic()
        self._save(endpoint, state="baking")
        what = (
            f"canary: {endpoint.green_share}% of traffic"
            if endpoint.green_share < 100
            else "all traffic"
        )
        self._event(
            endpoint,
            "switch",
            actor,
            f"{version.label} passed its checks and takes {what}; "
            f"{blue.version.label} stays up for the {self.config.bake_seconds:.0f}s bake",
            version,
        )

    async def _promote(self, endpoint: Endpoint, actor: str, reason: str) -> None:
        green, blue = endpoint.green, endpoint.blue
        if green is None:
            return
        # One assignment each, no await between: every request sees the old or the new pair.
        endpoint.blue, endpoint.green, endpoint.green_share = green, None, 0
        endpoint.bake_started = None
        green.colour = "blue"
        endpoint.previous = blue.version if blue is not None else endpoint.previous
        endpoint.last_scale = time.monotonic()
        self._save(endpoint, state="live")
        self._event(endpoint, "promote", actor, f"{green.version.label}: {reason}", green.version)
        if blue is not None:
            await stop_set(self.launcher, blue, self.config.drain_timeout)

    async def _drop_green(self, endpoint: Endpoint, actor: str, kind: str, reason: str) -> None:
        green = endpoint.green
        if green is None:
            return
        endpoint.green_share = 0
        endpoint.green = None
        endpoint.bake_started = None
        self._save(endpoint, state="live")
        self._event(endpoint, kind, actor, f"{green.version.label}: {reason}", green.version)
        await stop_set(self.launcher, green, self.config.drain_timeout)

    async def _grow(self, endpoint: Endpoint, replica_set: ReplicaSet, count: int) -> None:
        while len(replica_set.replicas) < count:
            replica_set.replicas.append(await self._start_replica(endpoint, replica_set))

    async def _start_replica(self, endpoint: Endpoint, replica_set: ReplicaSet) -> Replica:
        logs = self.folder(endpoint.project_id) / "logs"
        label = f"{endpoint.id}-{replica_set.version.version or 'run'}"
        account = self.run_as(endpoint.slug)
        if account is not None:
            await asyncio.get_running_loop().run_in_executor(
                None, self._open_models, endpoint.project_id, account
            )
        replica = await self.launcher.start(
            label, Path(replica_set.version.model_dir), logs / f"{endpoint.name}.log", account
        )
        self._spawn(self._mind(endpoint, replica_set, replica))
        return replica

    async def _mind(self, endpoint: Endpoint, replica_set: ReplicaSet, replica: Replica) -> None:
        """Replace the replica when it dies, unless it was meant to stop."""
        code = await self.launcher.exited(replica)
        if (
            self._closing
            or replica_set.stopping
            or replica not in replica_set.replicas
            or self.endpoints.get(endpoint.id) is not endpoint
        ):
            return
        replica.ready = False
        self._event(
            endpoint,
            "restart",
            "service",
            f"replica {replica.id} of {replica_set.version.label} exited ({code}); "
            "starting another",
            replica_set.version,
        )
        for attempt in range(3):
            try:
                fresh = await self._start_replica(endpoint, replica_set)
            except ReplicaFailed as exc:
                self.log.warning("replacing replica %s failed: %s", replica.id, exc.message)
                await asyncio.sleep(2**attempt)
                continue
            if replica_set.stopping or replica not in replica_set.replicas:
                await self.launcher.stop(fresh)
                return
            index = replica_set.replicas.index(replica)
            replica_set.replicas[index] = fresh
            await self.launcher.stop(replica)  # forgets its socket
            return
        self._event(
            endpoint,
            "failed",
            "service",
            f"replica {replica.id} could not be replaced",
            replica_set.version,
        )

    # ---- checks ------------------------------------------------------------------------------

    async def _metadata(self, replica: Replica) -> dict[str, Any]:
        response = await self.launcher.call(replica, "GET", "metadata")
        if response.code != 200:
            if response.code == 599:
                raise DeployFailed(f"replica {replica.id} stopped answering ({response.error})")
            raise DeployFailed(f"the replica's metadata answered {response.code}")
        data: dict[str, Any] = json.loads(response.body)
        return data

    async def _check_signature(self, blue: ReplicaSet, green: ReplicaSet) -> None:
        live, new = blue.ready(), green.ready()
        if not live or not new:
            raise DeployFailed("no ready replica to compare the signatures of")
        old_sig = (await self._metadata(live[0])).get("signature") or {}
        new_sig = (await self._metadata(new[0])).get("signature") or {}
        problem = signature_mismatch(old_sig.get("inputs"), new_sig.get("inputs"))
        if problem:
            raise DeployFailed(f"{green.version.label} does not fit the live signature: {problem}")

    async def _smoke(self, replica_set: ReplicaSet) -> None:
        ready = replica_set.ready()
        if not ready:
            raise DeployFailed("no replica is ready")
        example = (await self._metadata(ready[0])).get("input_example")
        if example is None:
            return  # nothing to send: a model logged without an input example
        for replica in ready:
            body = json.dumps(example).encode()
            answer = await self.launcher.call(replica, "POST", "invocations", body)
            if answer.code != 200:
                text = (answer.body or b"").decode(errors="replace")[:300]
                raise DeployFailed(
                    f"{replica_set.version.label} failed its smoke request from the input "
                    f"example ({answer.code}): {text}"
                )

    # ---- fetching ------------------------------------------------------------------------------

    async def _fetch(self, endpoint: Endpoint, model_uri: str, actor: str) -> Version:
        """The model version behind `model_uri` (an alias resolved now), copied locally."""
        name, number, run_id = await self._resolve(endpoint, model_uri)
        exact = f"models:/{name}/{number}" if name else model_uri
        if name:
            where = Path("models") / quote(name, safe="") / str(number)
        else:
            where = Path("runs") / uuid.uuid5(uuid.NAMESPACE_URL, model_uri).hex
        model_dir = self.folder(endpoint.project_id) / where
        if not (model_dir / "MLmodel").is_file():
            await self._download(endpoint, exact, model_dir, actor)
        return Version(exact, str(model_dir), name, number, run_id)

    async def _resolve(
        self, endpoint: Endpoint, model_uri: str
    ) -> tuple[str | None, str | None, str | None]:
        match = MODEL_URI.match(model_uri)
        if match is None:
            if model_uri.startswith(("runs:/", "models:/m-")):
                return None, None, None
            raise InvalidInput(
                f"{model_uri!r} is no model URI: use models:/NAME/VERSION, models:/NAME@ALIAS "
                "or runs:/RUN_ID/PATH"
            )
        name = match["name"]
        if match["alias"]:
            path = f"registered-models/alias?name={quote(name)}&alias={quote(match['alias'])}"
        else:
            path = f"model-versions/get?name={quote(name)}&version={match['version']}"
        try:
            backend = await self.tracking.get(endpoint.project_id, endpoint.slug)
            answer = await self.tracking.call(backend, "GET", f"api/2.0/mlflow/{path}")
        except TrackingUnavailable as exc:
            raise DeployFailed(f"{exc.message}; try again shortly") from None
        if "error_code" in answer:
            raise NotFound(f"{model_uri}: {answer.get('message', answer['error_code'])}")
        found = answer["model_version"]
        return name, str(found["version"]), found.get("run_id") or None

    async def _download(self, endpoint: Endpoint, uri: str, dest: Path, actor: str) -> None:
        """The fetch runs as its own process, as a reader of the project: its MLflow client
        goes through the tracking proxy with a token that opens this project only."""
        try:
            await run_reader(
                self.run_tokens,
                self.service_url,
                project_id=endpoint.project_id,
                slug=endpoint.slug,
                actor=actor,
                module="scalelab.serving.fetch",
                args=[uri, str(dest)],
                timeout=FETCH_TIMEOUT,
                what=f"fetching {uri}",
            )
        except ReaderFailed as exc:
            raise DeployFailed(exc.message) from None

    # ---- upkeep ---------------------------------------------------------------------------

    def _start_watch(self) -> None:
        if self._watch is None or self._watch.done():
            self._watch = asyncio.ensure_future(self._watch_loop())

    async def _watch_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.config.check_interval)
            now = time.monotonic()
            for endpoint in list(self.endpoints.values()):
                try:
                    await self._look_after(endpoint, now)
                except Exception:
                    self.log.exception("looking after endpoint %s failed", endpoint.name)

    async def _look_after(self, endpoint: Endpoint, now: float) -> None:
        self.watcher.sample(endpoint, now)
        if endpoint.lock.locked():
            return  # a roll-out is under way; its end decides
        verdict = self.watcher.bake(endpoint, now)
        if verdict is not None:
            action, reason = verdict
            async with endpoint.lock:
                if action == "promote":
                    await self._promote(endpoint, "bake", reason)
                else:
                    await self._drop_green(endpoint, "bake", "rollback", reason)
            return
        await self._autoscale(endpoint, now)

    async def _autoscale(self, endpoint: Endpoint, now: float) -> None:
        decision = self.watcher.scale(endpoint, now)
        if decision is None or endpoint.blue is None:
            return
        target, reason = decision
        blue = endpoint.blue
        async with endpoint.lock:
            endpoint.last_scale = now
            if target > len(blue.replicas):
                await self._grow(endpoint, blue, target)
            else:
                while len(blue.replicas) > target:
                    quiet = min(blue.replicas, key=lambda r: r.in_flight)
                    blue.replicas.remove(quiet)
                    await self.launcher.stop(quiet, drain=self.config.drain_timeout)
            self._save(endpoint)
            self._event(endpoint, "scale", "autoscaler", reason, blue.version)

    # ---- records ------------------------------------------------------------------------------

    def _save(self, endpoint: Endpoint, state: str | None = None) -> None:
        if state is not None:
            endpoint.state = state
        with self.store.session() as session:
            row = repo.deployment_by_id(session, endpoint.id)
            if row is None:
                return
            repo.update_deployment(
                session,
                row,
                state=endpoint.state,
                blue=endpoint.blue.version.to_json() if endpoint.blue else None,
                green=endpoint.green.version.to_json() if endpoint.green else None,
                previous=endpoint.previous.to_json() if endpoint.previous else None,
                green_share=endpoint.green_share,
                replicas=len(endpoint.blue.replicas) if endpoint.blue else 0,
            )
            session.commit()

    def _event(
        self,
        endpoint: Endpoint,
        kind: str,
        actor: str,
        message: str,
        version: Version | None = None,
    ) -> None:
        where = f"{endpoint.slug}/{endpoint.name}"
        self.log.info("endpoint %s: %s by %s: %s", where, kind, actor, message)
        with self.store.session() as session:
            repo.record_event(
                session,
                endpoint.id,
                kind,
                actor,
                message,
                version=version.label if version else None,
            )
            session.commit()

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- start and stop ---------------------------------------------------------------------

    async def restore(self) -> None:
        """Bring back what was live when the service stopped: the live version of each endpoint
        on the replicas it had; a version that was baking is dropped (blue is kept)."""
        with self.store.session() as session:
            rows = [(row, slug) for row, slug in repo.all_live_deployments(session)]
            for row, _ in rows:
                session.expunge(row)
        for row, slug in rows:
            endpoint = Endpoint(row.id, row.project_id, slug, row.name, self._policy(row))
            endpoint.request_log_rate = row.request_log_rate
            endpoint.previous = Version.from_json(row.previous)
            self.endpoints[row.id] = endpoint
            blue = Version.from_json(row.blue)
            if blue is None:
                self._save(endpoint, state="failed")
                continue
            if row.green:
                self._event(
                    endpoint,
                    "rollback",
                    "service",
                    "the service restarted during a bake: the new version is dropped",
                    Version.from_json(row.green),
                )
            count = min(max(row.replicas, row.min_replicas), row.max_replicas)
            self._spawn(self._bring_back(endpoint, blue, count))
        if self.endpoints:
            self._start_watch()

    async def _bring_back(self, endpoint: Endpoint, version: Version, count: int) -> None:
        async with endpoint.lock:
            blue = ReplicaSet("blue", version)
            endpoint.blue = blue
            try:
                await self._grow(endpoint, blue, count)
            except ReplicaFailed as exc:
                await stop_set(self.launcher, blue, 0)
                endpoint.blue = None
                self._save(endpoint, state="failed")
                self._event(endpoint, "failed", "service", exc.message, version)
                return
            endpoint.last_scale = time.monotonic()
            self._save(endpoint, state="live")
            self._event(
                endpoint, "ready", "service", f"{version.label} back on {count} replica(s)", version
            )

    async def close(self) -> None:
        self._closing = True
        if self._watch is not None:
            self._watch.cancel()
        for task in list(self._tasks):
            task.cancel()
        for endpoint in list(self.endpoints.values()):
            for replica_set in endpoint.colours():
                with contextlib.suppress(Exception):
                    await stop_set(self.launcher, replica_set, 0)
        await self.request_log.close()
        self.launcher.close()


def policy_check(min_replicas: int, max_replicas: int, config: Serving) -> None:
    if not 1 <= min_replicas <= max_replicas:
        raise InvalidInput("replicas: need 1 <= min <= max")
    if max_replicas > config.max_replicas:
        raise InvalidInput(f"replicas: at most {config.max_replicas} per endpoint here")


def check_model_uri(model_uri: str) -> None:
    if MODEL_URI.match(model_uri) is None and not model_uri.startswith(("runs:/", "models:/m-")):
        raise InvalidInput(
            f"{model_uri!r} is no model URI: use models:/NAME/VERSION, models:/NAME@ALIAS "
            "or runs:/RUN_ID/PATH"
        )
