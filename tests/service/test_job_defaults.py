"""The executor's settings (`c.LocalExecutor.retries`, `.fresh`, `.step_timeout`) apply to runs
started through the API and by schedules whenever the request leaves the option out; an option
the request gives wins.

The settings are in the hub's configuration, which hands them to its service; the service uses
the test clock so that a schedule fires without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.hubctl import REPO, Hub, running_hub
from tests.runs.conftest import write_notebook
from tests.schedules.clock import DATA_ROOT_CLOCK, set_clock
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
T0 = datetime(2030, 1, 7, 10, 59, 50, tzinfo=UTC)  # ten seconds before a fire time
STEP_TIMEOUT = 6
EXTRA_CONFIG = f"""
c.Scheduler.clock_class = "tests.schedules.clock.OffsetClock"
c.Scheduler.poll_interval = 0.2
c.LocalExecutor.retries = 1
c.LocalExecutor.retry_backoff = 0.1
c.LocalExecutor.fresh = True
c.LocalExecutor.step_timeout = {STEP_TIMEOUT}
"""
# Fails the first time it runs with a given marker, succeeds the next.
FLAKY = (
    "import pathlib\nmark = pathlib.Path(marker)\n"
    "if not mark.exists():\n    mark.touch()\n    raise RuntimeError('first try fails')"
)


@pytest.fixture(scope="module")
def configured_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("executor-settings-hub")
    set_clock(root / DATA_ROOT_CLOCK, T0)
    with running_hub(root, EXTRA_CONFIG, PYTHONPATH=str(REPO)) as hub:
        yield hub


class Project:
    """A project of alice's, with the notebooks these tests run."""

    def __init__(self, hub: Hub, slug: str) -> None:
        self.hub, self.slug = hub, slug
        self.token = hub.token_for("alice")
        assert self.call("POST", "api/projects", json={"slug": slug}).status_code == 201
        folder = hub.data_root / "workspaces" / slug
        write_notebook(folder / "flaky.ipynb", "marker = 'tried'", FLAKY)
        write_notebook(folder / "square.ipynb", "n = 2", "print(n * n)")
        write_notebook(folder / "slow.ipynb", "n = 1", "import time; time.sleep(300)")

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            self.hub.service_url + path,
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
            **kwargs,
        )

    def run(self, **body: Any) -> dict[str, Any]:
        """Start a run and wait for it to end."""
        r = self.call("POST", f"api/projects/{self.slug}/runs", json=body)
        assert r.status_code == 201, r.text
        return self.finished(lambda: [self.get_run(r.json()["id"])])[0]

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"api/projects/{self.slug}/runs/{run_id}").json()

    def runs(self) -> list[dict[str, Any]]:
        return self.call("GET", f"api/projects/{self.slug}/runs").json()["runs"]

    @staticmethod
    def finished(runs: Any, count: int = 1, timeout: float = 120) -> list[dict[str, Any]]:
        def done() -> list[dict[str, Any]] | None:
            found = runs()
            settled = all(r["status"] not in ("queued", "running") for r in found)
            return list(found) if len(found) >= count and settled else None

        return wait_until(done, timeout, 0.2, lambda: f"runs not finished: {runs()}")


def test_api_runs_take_the_executor_settings_the_request_leaves_out(
    configured_hub: Hub,
) -> None:
    project = Project(configured_hub, "api-defaults")
    # c.LocalExecutor.retries = 1: a second attempt, unless the request says otherwise.
    retried = project.run(target="flaky.ipynb", parameters={"marker": "a"})
    assert retried["status"] == "succeeded", retried["error"]
    assert retried["steps"][0]["attempts"] == 2
    once = project.run(target="flaky.ipynb", parameters={"marker": "b"}, retries=0)
    assert once["status"] == "failed" and once["steps"][0]["attempts"] == 1
    explicit_null = project.run(target="flaky.ipynb", parameters={"marker": "c"}, retries=None)
    assert explicit_null["status"] == "succeeded" and explicit_null["steps"][0]["attempts"] == 2

    # c.LocalExecutor.fresh = True: an identical earlier step is not reused...
    first = project.run(target="square.ipynb")
    again = project.run(target="square.ipynb")
    assert first["status"] == again["status"] == "succeeded"
    assert again["steps"][0]["reused_from"] is None
    # ...unless the request asks for reuse.
    reused = project.run(target="square.ipynb", fresh=False)
    assert reused["steps"][0]["reused_from"] == again["id"]

    # c.LocalExecutor.step_timeout: the step is stopped after that long.
    slow = project.run(target="slow.ipynb", retries=0)
    assert slow["status"] == "failed"
    assert f"step ran longer than {STEP_TIMEOUT}s" in slow["steps"][0]["error"]


def test_scheduled_runs_take_the_executor_settings_the_schedule_leaves_out(
    configured_hub: Hub,
) -> None:
    project = Project(configured_hub, "schedule-defaults")
    base = f"api/projects/{project.slug}/schedules"
    schedule = {"target": "flaky.ipynb", "cron": "*/5 * * * *"}
    set_clock(configured_hub.data_root / DATA_ROOT_CLOCK, T0)
    follows = project.call(
        "POST", base, json={**schedule, "name": "follows", "parameters": {"marker": "s1"}}
    )
    once = project.call(
        "POST",
        base,
        json={**schedule, "name": "once", "parameters": {"marker": "s2"}, "retries": 0},
    )
    assert follows.status_code == once.status_code == 201, (follows.text, once.text)
    # Stored as given: unset stays unset (null), an explicit value stays.
    assert (follows.json()["retries"], once.json()["retries"]) == (None, 0)
    assert follows.json()["fresh"] is True  # scheduled runs are fresh unless they say so
    assert follows.json()["next_fire_at"].startswith("2030-01-07T11:00:00")

    def scheduled() -> list[dict[str, Any]]:
        return [r for r in project.runs() if r["trigger"] == "schedule"]

    runs = project.finished(scheduled, count=2)
    by_schedule = {r["triggered_by"]: r for r in runs}
    assert set(by_schedule) == {"schedule follows", "schedule once"}
    retried, single = by_schedule["schedule follows"], by_schedule["schedule once"]
    assert retried["status"] == "succeeded", retried["error"]
    assert retried["steps"][0]["attempts"] == 2
    assert single["status"] == "failed" and single["steps"][0]["attempts"] == 1
    again = project.call("GET", f"{base}/{follows.json()['id']}").json()
    assert (again["retries"], again["fresh"], again["timeout"]) == (None, True, None)
