"""The way back from a breach: retrain, register, stage as green, weigh, promote or keep.

Each breach's loop is a small state machine driven from its row (`monitoring.policy`'s
LoopState). A step does its work, then moves the state on by compare and set
(`store.monitors.advance`); a step whose work leaves a trace checks for it first (the
retrain run recorded on the breach, the model version registered from that run, the green
already serving that version, the decision written before it is carried out), so a service
stopped anywhere in the loop resumes it at start without doing a step twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from ..errors import ScaleLabError
from ..monitoring.policy import FINAL, LOOP_ORDER, decide_promotion
from ..monitoring.scores import Metric, model_score
from ..monitoring.serving import hours_between, prediction_rows, requests_by_id
from ..runs.job import Job
from ..runs.records import FINAL as RUN_FINAL
from ..store import deployments as deployments_repo
from ..store import monitors as repo
from ..store.models import utcnow
from .notify import ProjectAudience

if TYPE_CHECKING:
    from ..runs.records import Run
    from ..store import Store
    from .deployer import Deployer
    from .endpoints import Colour, Endpoint
    from .model_registry import ModelRegistry
    from .monitor_checks import Monitoring
    from .notify import Notifier
    from .runs import RunManager


class StepFailed(ScaleLabError):
    """The loop cannot go on; the message says why, the live model serves on."""


class RetrainLoop:
    """Drives the retrain loops of breaches (see the module's text)."""

    def __init__(
        self,
        config: Monitoring,
        *,
        store: Store,
        deployer: Deployer,
        runs: RunManager,
        registry: ModelRegistry,
        notifier: Notifier,
    ) -> None:
        self.config = config
        self.store = store
        self.deployer = deployer
        self.runs = runs
        self.registry = registry
        self.notifier = notifier
        self.log = config.log
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, breach_id: int) -> None:
        task = self.tasks.get(breach_id)
        if task is not None and not task.done():
            return
        task = asyncio.ensure_future(self.drive(breach_id))
        self.tasks[breach_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(breach_id, None))

    def resume(self) -> None:
        """At start: the loops a stop left under way go on where they were."""
        for breach_id in repo.unfinished_breaches(self.store, LOOP_ORDER):
            repo.note(self.store, breach_id, "resumed", "the service restarted: the loop goes on")
            self.start(breach_id)

    async def abandon(self, breach_id: int, reason: str) -> None:
        """Stop the breach's loop (its monitor goes away): the task ends, and a green it
        staged is dropped."""
        task = self.tasks.get(breach_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        subject = repo.loop_subject(self.store, breach_id)
        if subject is not None and subject.state not in FINAL:
            await self._drop_our_green(subject, reason)

    async def close(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def drive(self, breach_id: int) -> None:
        steps = {
            "retraining": self._retrain,
            "registering": self._register,
            "staging": self._stage,
            "evaluating": self._evaluate,
            "promoting": self._promote,
            "keeping": self._keep,
        }
        while True:
            subject = repo.loop_subject(self.store, breach_id)
            if subject is None or subject.state in FINAL:
                return
            try:
                await steps[subject.state](subject)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = exc.message if isinstance(exc, ScaleLabError) else f"{exc!r}"
                if not isinstance(exc, ScaleLabError):
                    self.log.exception("breach %d: %s failed", breach_id, subject.state)
                with contextlib.suppress(Exception):
                    await self._drop_our_green(subject, f"the loop failed: {reason}")
                self._end(
                    subject,
                    "failed",
                    f"{subject.state} failed: {reason}; the live model serves on",
                    decision=f"failed: {reason}"[:2048],
                )

    # ---- the steps ------------------------------------------------------------------------

    async def _retrain(self, s: repo.LoopSubject) -> None:
        run_id = s.retrain_run_id
        if run_id is None:
            job = Job(target=s.retrain["target"], parameters=s.retrain.get("parameters") or {})
            made = await asyncio.get_running_loop().run_in_executor(
                None,
                functools.partial(
                    self.runs.make_run,
                    s.project_id,
                    s.slug,
                    job,
                    trigger="monitor",
                    triggered_by=f"monitor {s.monitor} (breach {s.breach_id})",
                ),
            )
            if not repo.claim_retrain_run(self.store, s.breach_id, made.record.id):
                return  # another taker: look again
            record = await self.runs.submit(made.runs, made.record, made.plan)
        else:
            record = await self._wait_for_run(s, run_id)
        if record.status != "succeeded":
            error = f": {record.error}" if record.error else ""
            raise StepFailed(f"retrain run {record.id} {record.status}{error}")
        if s.deployment_id is None:  # a data set's monitor: no model to stage
            self._end(s, "retrained", f"retrain run {record.id} succeeded")
            return
        repo.advance(
            self.store,
            s.breach_id,
            "retraining",
            "registering",
            f"retrain run {record.id} succeeded",
        )

    async def _wait_for_run(self, s: repo.LoopSubject, run_id: str) -> Run:
        task = self.runs.tasks.get(run_id)
        if task is not None:
            return await asyncio.shield(task)
        while True:  # another process runs it, or the service restarted (then it is failed)
            record = self.runs.runs_of(s.project_id, s.slug).get(run_id)
            if record is None:
                raise StepFailed(f"retrain run {run_id} is gone")
            if record.status in RUN_FINAL:
                return record
            await asyncio.sleep(self.config.loop_poll)

    async def _register(self, s: repo.LoopSubject) -> None:
        assert s.retrain_run_id is not None
        name = s.retrain["model_name"]
        version = await self._registered(s, name)
        if version is None:
            _, version = await self.registry.register(
                s.project_id,
                s.slug,
                s.retrain_run_id,
                name,
                f"monitor {s.monitor}",
                aliases=[],
            )
            message = f"registered as models:/{name}/{version}"
        else:
            message = f"models:/{name}/{version} was registered from this run already"
        repo.advance(
            self.store, s.breach_id, "registering", "staging", message, model_version=version
        )

    async def _registered(self, s: repo.LoopSubject, name: str) -> str | None:
        """The version of `name` registered from the retrain run, if there is one (a restart
        after registering, before the step was recorded)."""
        query = urlencode({"filter": f"name='{name}'", "max_results": 1000})
        found = await self.registry.mlflow(
            s.project_id, s.slug, "GET", f"model-versions/search?{query}"
        )
        for version in found.get("model_versions") or []:
            tags = {t["key"]: t.get("value") for t in version.get("tags") or []}
            if tags.get("scalelab.run_id") == s.retrain_run_id:
                return str(version["version"])
        return None

    def _candidate(self, s: repo.LoopSubject) -> str:
        return f"models:/{s.retrain['model_name']}/{s.model_version}"

    async def _endpoint(self, s: repo.LoopSubject) -> Endpoint:
        """The endpoint, once it serves and no switch is under way (after a restart its
        live version is coming back)."""
        deadline = asyncio.get_running_loop().time() + self.config.endpoint_wait
        while True:
            endpoint = self.deployer.endpoint(s.deployment_id)
            if endpoint is not None and endpoint.blue is not None and not endpoint.lock.locked():
                return endpoint
            if asyncio.get_running_loop().time() >= deadline:
                raise StepFailed(f"endpoint {s.endpoint!r} is not serving")
            await asyncio.sleep(min(1.0, self.config.loop_poll))

    async def _stage(self, s: repo.LoopSubject) -> None:
        uri = self._candidate(s)
        endpoint = await self._endpoint(s)
        green = endpoint.green
        if endpoint.blue is not None and endpoint.blue.version.uri == uri:
            message = f"{uri} is live already"
        elif green is not None and green.version.uri == uri:
            message = f"{uri} is green already"
        else:
            await self.deployer.stage(endpoint, uri, f"monitor {s.monitor}")
            message = f"{uri} runs as green beside the live model, without traffic"
        repo.advance(self.store, s.breach_id, "staging", "evaluating", message)

    async def _evaluate(self, s: repo.LoopSubject) -> None:
        uri = self._candidate(s)
        endpoint = await self._endpoint(s)
        green = endpoint.green
        if endpoint.blue is not None and endpoint.blue.version.uri == uri:
            repo.advance(self.store, s.breach_id, "evaluating", "promoting", f"{uri} is live")
            return
        if green is None or green.version.uri != uri:  # lost with a restart: stage it again
            repo.advance(
                self.store,
                s.breach_id,
                "evaluating",
                "staging",
                f"{uri} no longer runs as green (the service restarted): staging it again",
            )
            return
        metric = cast(Metric, s.metric or "accuracy")
        deadline = asyncio.get_running_loop().time() + self.config.label_wait
        while True:
            labelled = await self._labelled(s)
            rows = sum(len(rows) for _, rows, _ in labelled.values())
            if rows >= self.config.min_labelled:
                break
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(self.config.loop_poll)
        live, candidate = await self._weigh(endpoint, labelled, metric)
        decision = decide_promotion(
            metric,
            live.value,
            candidate.value,
            margin=float(s.retrain.get("margin", 0.0)),
            labelled=candidate.labelled,
            min_labelled=self.config.min_labelled,
        )
        state = "promoting" if decision.promote else "keeping"
        repo.advance(
            self.store, s.breach_id, "evaluating", state, decision.reason, decision=decision.reason
        )

    async def _labelled(self, s: repo.LoopSubject) -> dict[str, tuple[Any, list[Any], Any]]:
        """Requests of the breach's window and since whose labels came: body, logged answer,
        label; newest first, at most `evaluation_requests`."""
        start = s.opened_at - timedelta(hours=s.window_hours)
        hours = hours_between(start, utcnow() + timedelta(seconds=1))
        folder = self.deployer.log_folder_of(s.project_id, s.endpoint)
        logged = await asyncio.get_running_loop().run_in_executor(
            None, requests_by_id, folder, hours
        )
        with self.store.session() as session:
            labels = deployments_repo.labels_for(session, s.deployment_id, list(logged))
        wanted = [rid for rid in reversed(list(logged)) if rid in labels]
        wanted = wanted[: self.config.evaluation_requests]
        return {rid: (logged[rid][0], logged[rid][1], labels[rid]) for rid in wanted}

    async def _weigh(
        self, endpoint: Endpoint, labelled: dict[str, tuple[Any, list[Any], Any]], metric: Metric
    ) -> tuple[Any, Any]:
        """The scores of the live model and of green, each asked now for the same labelled
        requests (the logged answers may be an older version's)."""
        answers: dict[Colour, dict[str, list[Any]]] = {"blue": {}, "green": {}}
        for rid, (body, _, _) in labelled.items():
            data = json.dumps(body).encode()
            for colour, found in answers.items():
                status, answer = await self.deployer.ask(endpoint, colour, data)
                if status != 200:
                    text = answer[:200].decode(errors="replace")
                    raise StepFailed(f"{colour} answered {status}: {text}")
                found[rid] = prediction_rows(json.loads(answer))
        labels = {rid: label for rid, (_, _, label) in labelled.items()}
        return (
            model_score(answers["blue"], labels, metric),
            model_score(answers["green"], labels, metric),
        )

    async def _promote(self, s: repo.LoopSubject) -> None:
        uri = self._candidate(s)
        endpoint = await self._endpoint(s)
        if endpoint.blue is not None and endpoint.blue.version.uri != uri:
            if endpoint.green is None or endpoint.green.version.uri != uri:
                raise StepFailed(f"{uri} was no longer staged when it was to be promoted")
            await self.deployer.promote(endpoint, f"monitor {s.monitor}", f"promoted: {s.decision}")
        self._end(s, "promoted", f"{uri} is live: {s.decision}")

    async def _keep(self, s: repo.LoopSubject) -> None:
        await self._drop_our_green(s, f"kept the live model: {s.decision}")
        self._end(s, "kept", f"{self._candidate(s)} stopped, the live model stays: {s.decision}")

    async def _drop_our_green(self, s: repo.LoopSubject, reason: str) -> None:
        endpoint = self.deployer.endpoint(s.deployment_id)
        if s.model_version is None or endpoint is None or endpoint.green is None:
            return
        if endpoint.green.version.uri == self._candidate(s):
            await self.deployer.rollback(endpoint, f"monitor {s.monitor}", reason)

    def _end(self, s: repo.LoopSubject, state: str, message: str, **fields: Any) -> None:
        """The loop's last step, told to the project once (by whoever took the step)."""
        if not repo.advance(self.store, s.breach_id, s.state, state, message, **fields):
            return
        if state == "promoted":  # the next check judges the new model afresh
            repo.close_breach(
                self.store, s.monitor_id, FINAL, "the retrained model is live: the breach is over"
            )
        level = {"promoted": "success", "retrained": "success", "kept": "info"}.get(state, "error")
        links = (
            {
                "retrain run": self.notifier.lab_url(
                    "", **{"scalelab-project": s.slug, "scalelab-run": s.retrain_run_id}
                )
            }
            if s.retrain_run_id
            else {}
        )
        self.notifier.notify(
            ProjectAudience(s.project_id, s.webhook_url),
            level,
            f"Monitor {s.monitor}: the retrain loop ended, {state}",
            message,
            links,
            s.retrain_run_id,
        )
