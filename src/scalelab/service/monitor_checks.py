"""Monitors at work inside the service: their checks when due, the verdict, the alert, and
the start of the retrain loop.

The scheduler's loop ticks this too (one clock, one wake-up): a tick claims the due check
times (`store.monitors.take_due`, exactly once across service processes) and runs each check
in the background. A check reads the endpoint's request log and the live model's reference
profile in a child process (`scalelab.monitoring.check`, as a reader of the project), scores
the model on the labels posted so far, and judges (`monitoring.policy.judge`). A breach opens
once per monitor until a check passes again; its alert links to the report.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from traitlets import Float, Integer
from traitlets.config import LoggingConfigurable

from ..errors import ScaleLabError
from ..monitoring.policy import FINAL, BreachRule, Verdict, judge
from ..monitoring.scores import Metric, model_score
from ..monitoring.serving import hours_between, predictions_by_request
from ..runs.records import Run
from ..schedules.cron import parsed
from ..store import deployments as deployments_repo
from ..store import monitors as repo
from ..store.models import MonitorRow
from .notify import ProjectAudience
from .reader import ReaderFailed, run_reader

if TYPE_CHECKING:
    from ..schedules.clock import Clock
    from ..store import Store
    from .deployer import Deployer
    from .notify import Notifier
    from .retrain import RetrainLoop
    from .run_tokens import RunTokens
    from .runs import RunManager


class Monitoring(LoggingConfigurable):
    """Options of monitors: their checks, and the retrain loop a breach may start."""

    check_timeout = Float(
        180.0, help="Seconds a monitor's check may take (reading the profiles, comparing)."
    ).tag(config=True)

    min_interval = Integer(
        300,
        help="Shortest time between two checks of a monitor, in seconds; monitors whose "
        "cron fires more often are refused.",
    ).tag(config=True)

    min_labelled = Integer(
        20,
        help="""Labelled rows a retrained model is weighed on, at least, before it may
        replace the live one. Fewer by the end of label_wait: the live model stays.""",
    ).tag(config=True)

    label_wait = Float(
        3600.0,
        help="""Seconds the retrain loop waits for labels of fresh requests to weigh a
        staged model on (it decides as soon as min_labelled rows are labelled).""",
    ).tag(config=True)

    evaluation_requests = Integer(
        2000,
        help="Most labelled requests sent to a staged model to weigh it, newest first.",
    ).tag(config=True)

    keep_reports = Integer(
        50, help="Drift reports kept per monitor: those of its last checks."
    ).tag(config=True)

    endpoint_wait = Float(
        300.0,
        help="Seconds the retrain loop waits for its endpoint to serve (after a restart) or to "
        "end a switch under way, before it gives up.",
    ).tag(config=True)

    loop_poll = Float(
        5.0, help="Seconds between two looks of the retrain loop at a run or at new labels."
    ).tag(config=True)


class NothingToCheck(ScaleLabError):
    """The monitor has nothing to compare (no live model, no reference); recorded as the
    check's error."""


def _profile_of(run: Run, target: str, output: str) -> str | None:
    """Where a succeeded run of `target` keeps the profile of `output`, in its folder."""
    if run.target != target or run.status != "succeeded":
        return None
    return next((s.profiles[output] for s in run.steps if output in s.profiles), None)


class MonitorRunner:
    """Checks the monitors that are due (see the module's text)."""

    def __init__(
        self,
        config: Monitoring,
        *,
        store: Store,
        deployer: Deployer,
        runs: RunManager,
        notifier: Notifier,
        loop: RetrainLoop,
        run_tokens: RunTokens,
        service_url: str,
        report_url: str,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.deployer = deployer
        self.runs = runs
        self.notifier = notifier
        self.loop = loop
        self.run_tokens = run_tokens
        self.service_url = service_url
        self.report_url = report_url  # the API's base, public: links in alerts
        self.clock = clock
        self.log = config.log
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        closed = repo.close_unfinished_checks(self.store)
        if closed:
            self.log.warning("%d monitor check(s) stopped by the last stop were closed", closed)
        self.loop.resume()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.loop.close()

    def next_due(self) -> datetime | None:
        return repo.next_due(self.store)

    def _next_time(self, row: MonitorRow, now: datetime) -> datetime | None:
        return parsed(row.cron, row.timezone).next_after(now)

    async def tick(self, now: datetime) -> int:
        """Start the checks due at `now`; how many."""
        claims = repo.take_due(self.store, now, self._next_time)
        for claim in claims:
            task = asyncio.ensure_future(self.check(claim))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return len(claims)

    def reports(self, project_id: int, monitor_id: int) -> Path:
        """The folder of a monitor's check reports."""
        return self.deployer.folder(project_id) / "monitors" / str(monitor_id)

    def check_folder(self, project_id: int, monitor_id: int, check_id: int) -> Path:
        return self.reports(project_id, monitor_id) / str(check_id)

    def _prune(self, project_id: int, monitor_id: int) -> None:
        """Reports of all but the last `keep_reports` checks go."""
        folder = self.reports(project_id, monitor_id)
        if not folder.is_dir():
            return
        checks = sorted(
            (p for p in folder.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        for old in checks[: -self.config.keep_reports or None]:
            shutil.rmtree(old, ignore_errors=True)

    async def check(self, claim: repo.ClaimedCheck) -> None:
        """One check, recorded whatever happens."""
        try:
            status, message, summary = await self._check(claim)
        except asyncio.CancelledError:
            raise
        except (ReaderFailed, NothingToCheck) as exc:
            status, message, summary = "error", exc.message, {}
        except Exception as exc:  # recorded on the check; the scheduler goes on
            self.log.exception("monitor %d: check %d failed", claim.monitor_id, claim.check_id)
            status, message, summary = "error", f"{type(exc).__name__}: {exc}", {}
        repo.finish_check(self.store, claim.check_id, status, message, summary)
        self._prune(claim.project_id, claim.monitor_id)
        if status == "breach":
            self._breach(claim, message)
        elif status == "ok":
            repo.close_breach(self.store, claim.monitor_id, FINAL)

    async def _check(self, claim: repo.ClaimedCheck) -> tuple[str, str, dict[str, Any]]:
        with self.store.session() as session:
            row = session.get(MonitorRow, claim.monitor_id)
            if row is None:
                raise NothingToCheck("the monitor was deleted during its check")
            session.expunge(row)
        now = self.clock.now()
        dest = self.check_folder(claim.project_id, claim.monitor_id, claim.check_id)
        if row.dataset is not None:
            spec, facts = await self._dataset_spec(claim, row, now)
        else:
            spec, facts = self._endpoint_spec(claim, row, now)
        spec |= {"thresholds": row.thresholds, "dest": str(dest)}
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="scalelab-check-") as f:
            json.dump(spec, f)
            f.flush()
            out = await run_reader(
                self.run_tokens,
                self.service_url,
                project_id=claim.project_id,
                slug=claim.slug,
                actor=f"monitor {row.name}",
                module="scalelab.monitoring.check",
                args=[f.name],
                timeout=self.config.check_timeout,
                what=f"the check of monitor {row.name}",
            )
        lines = out.decode().strip().splitlines()
        summary: dict[str, Any] = {**(json.loads(lines[-1]) if lines else {}), **facts}
        score = None
        if row.metric and claim.deployment_id is not None:
            folder, hours = Path(spec["log_folder"]), spec["hours"]
            score = await self._score(claim.deployment_id, folder, hours, cast(Metric, row.metric))
            summary["score"] = score
        value = score["value"] if score else None
        rule = BreachRule(
            row.drifted_columns, row.min_rows, cast(Metric, row.metric), row.score_limit
        )
        verdict: Verdict = judge(
            rule, int(summary.get("rows", 0)), summary.get("drifted", []), value
        )
        return verdict.status, verdict.message, summary

    def _endpoint_spec(
        self, claim: repo.ClaimedCheck, row: MonitorRow, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The check of an endpoint: its request log's window against the live version's
        training profile."""
        endpoint = self.deployer.endpoint(claim.deployment_id or 0)
        if endpoint is None or endpoint.blue is None:
            raise NothingToCheck(f"endpoint {claim.endpoint!r} serves no model")
        version = endpoint.blue.version
        if not version.run_id:
            raise NothingToCheck(f"{version.label} has no MLflow run to hold its reference")
        hours = hours_between(now - timedelta(hours=row.window_hours), now + timedelta(seconds=1))
        spec = {
            "run_id": version.run_id,
            "reference": "training",
            "log_folder": str(self.deployer.log_folder(endpoint)),
            "hours": hours,
            "title": f"{row.name}: {claim.endpoint} ({version.label}), "
            f"{row.window_hours}h to {now:%Y-%m-%d %H:%M} UTC",
        }
        return spec, {"version": version.label}

    async def _dataset_spec(
        self, claim: repo.ClaimedCheck, row: MonitorRow, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The check of a data set: the profiles of `output` kept by the runs of `target`
        that ended in the window, merged, against the reference run's."""
        target, output = row.dataset["target"], row.dataset["output"]  # type: ignore[index]
        pinned = row.dataset.get("reference_run")  # type: ignore[union-attr]
        runs = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.runs.runs_of(claim.project_id, claim.slug).list(limit=1000)
        )
        profiled = [(r, path) for r in runs if (path := _profile_of(r, target, output))]
        if pinned:
            reference = next((p for r, p in profiled if r.id == pinned), None)
            if reference is None:
                raise NothingToCheck(f"reference run {pinned} kept no profile of {output}")
            reference_run = pinned
        elif profiled:
            reference_run, reference = profiled[-1][0].id, profiled[-1][1]  # the oldest
        else:
            raise NothingToCheck(f"no run of {target} has profiled {output} yet")
        since = now - timedelta(hours=row.window_hours)
        current = [
            (r, p)
            for r, p in profiled
            if r.id != reference_run and r.finished_at is not None and r.finished_at >= since
        ]
        folder = self.runs.runs_of(claim.project_id, claim.slug).folder
        spec = {
            "reference_file": str(folder(reference_run) / reference),
            "current_files": [str(folder(r.id) / p) for r, p in current],
            "title": f"{row.name}: {output} of {target}, {len(current)} run(s) in "
            f"{row.window_hours}h to {now:%Y-%m-%d %H:%M} UTC, against run {reference_run}",
        }
        return spec, {"reference_run": reference_run, "runs": [r.id for r, _ in current]}

    async def _score(
        self, deployment_id: int, folder: Path, hours: list[str], metric: Metric
    ) -> dict[str, Any]:
        predictions = await asyncio.get_running_loop().run_in_executor(
            None, predictions_by_request, folder, hours
        )
        with self.store.session() as session:
            labels = deployments_repo.labels_for(session, deployment_id, list(predictions))
        found = model_score(predictions, labels, metric)
        return {
            "metric": metric,
            "value": found.value,
            "labelled": found.labelled,
            "predictions": found.predictions,
        }

    def _breach(self, claim: repo.ClaimedCheck, reason: str) -> None:
        with self.store.session() as session:
            row = session.get(MonitorRow, claim.monitor_id)
            if row is None:
                return
            retrain, name, webhook = row.retrain, row.name, row.webhook_url
        state = "retraining" if retrain else "alerted"
        breach = repo.open_breach(self.store, claim.monitor_id, claim.check_id, reason, state)
        if breach is None:  # a breach is open: this check belongs to it, no second alert
            repo.join_breach(self.store, claim.monitor_id, claim.check_id)
            return
        then = " Retraining starts." if retrain else ""
        self.notifier.notify(
            ProjectAudience(claim.project_id, webhook),
            "warning",
            f"Monitor {name} breached on {claim.endpoint or 'its data set'}",
            f"{reason}.{then}",
            self.links(claim.slug, name, claim.check_id),
        )
        if retrain:
            self.loop.start(breach.id)

    def links(self, slug: str, monitor: str, check_id: int | None) -> dict[str, str]:
        links = {
            "monitors": self.notifier.lab_url(
                "", **{"scalelab-project": slug, "scalelab-view": "monitors"}
            )
        }
        if check_id is not None:
            links["report"] = (
                f"{self.report_url}api/projects/{quote(slug)}/monitors/{quote(monitor)}"
                f"/checks/{check_id}/report"
            )
        return links
