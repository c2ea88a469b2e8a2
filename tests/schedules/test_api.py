"""Schedules through a real hub: bad input refused with nothing saved, a failing scheduled run
told to the project's members and to a webhook, and the `scalelab schedule` command.

The service of this hub uses the test clock, so the test jumps to fire times instead of waiting.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.hubctl import VENV_BIN, Hub, running_hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

from .clock import DATA_ROOT_CLOCK, set_clock

pytestmark = pytest.mark.hub
T0 = datetime(2030, 1, 7, 10, 59, 57, tzinfo=UTC)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver that fails the first `failures` deliveries with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/abc"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        failing = len(self.server.received) <= self.server.failures
        self.send_response(500 if failing else 200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def scheduling_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Path]]:
    root = tmp_path_factory.mktemp("scheduling-hub")
    clock = root / DATA_ROOT_CLOCK
    set_clock(clock, T0)
    extra = """
c.Scheduler.clock_class = "tests.schedules.clock.OffsetClock"
c.Scheduler.min_interval = 120
c.Scheduler.poll_interval = 0.2
c.Notifier.webhook_backoff = 0.2
c.Notifier.webhook_hosts = ["127.0.0.1", "hooks.example.com"]
c.Notifier.webhook_allowed_networks = ["127.0.0.1/32"]  # the test receiver is on loopback
c.ScaleLab.demo_endpoint = ""  # no pipeline run in the background of the clock's tests
"""
    from tests.hubctl import REPO

    with running_hub(root, extra, PYTHONPATH=str(REPO), SCALELAB_DEMO="1") as hub:
        yield hub, clock


def api(hub: Hub, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    return requests.request(method, hub.service_url + path, headers=headers, timeout=30, **kwargs)


def test_the_first_start_makes_a_demo_project_with_a_schedule(
    scheduling_hub: tuple[Hub, Path],
) -> None:
    hub, _ = scheduling_hub
    alice, bob = hub.token_for("alice"), hub.token_for("bob")
    demo = wait(lambda: api(hub, alice, "GET", "api/projects/demo").json().get("slug"), "demo")
    assert demo == "demo"
    assert api(hub, bob, "GET", "api/projects/demo").json()["my_role"] == "editor"
    [nightly] = api(hub, bob, "GET", "api/projects/demo/schedules").json()["schedules"]
    assert (nightly["target"], nightly["cron"], nightly["paused"]) == (
        "pipeline.yaml",
        "0 6 * * *",
        False,
    )
    assert (hub.data_root / "workspaces" / "demo" / "pipeline.yaml").exists()


def test_bad_schedules_are_refused_and_nothing_is_saved(
    scheduling_hub: tuple[Hub, Path],
) -> None:
    hub, _ = scheduling_hub
    alice = hub.token_for("alice")
    assert api(hub, alice, "POST", "api/projects", json={"slug": "bad-input"}).status_code == 201
    write_notebook(hub.data_root / "workspaces" / "bad-input" / "nb.ipynb", "n = 1", "print(n)")
    good = {"name": "x", "target": "nb.ipynb", "cron": "0 6 * * *"}
    cases = [
        ({"cron": "61 * * * *"}, "invalid cron expression"),
        ({"cron": "every day"}, "give five"),
        ({"timezone": "Europe/Atlantis"}, "unknown timezone 'Europe/Atlantis'"),
        ({"cron": "* * * * *"}, "the shortest interval allowed is 120 s"),
        ({"parameters": {"n": "many"}}, "n"),
        ({"parameters": {"nope": 1}}, "nope"),
        ({"target": "missing.ipynb"}, "missing.ipynb"),
        ({"target": "../../etc/passwd"}, ""),
        ({"webhook_url": "ftp://example.org/x"}, "webhook_url"),
        ({"webhook_url": "http://10.0.0.8/admin"}, "webhooks may go to 127.0.0.1, hooks"),
        ({"misfire": "sometimes"}, "misfire"),
        ({"concurrency": "queue"}, "concurrency"),
        ({"retries": 99}, "retries"),
    ]
    for change, message in cases:
        r = api(hub, alice, "POST", "api/projects/bad-input/schedules", json=good | change)
        assert r.status_code == 400, (change, r.text)
        assert message in r.json()["message"], (change, r.text)
    preview = api(
        hub, alice, "POST", "api/projects/bad-input/schedules/preview", json={"cron": "0 6 * * *"}
    )
    assert preview.status_code == 200 and len(preview.json()["next_fire_times"]) == 5
    bad = api(hub, alice, "POST", "api/projects/bad-input/schedules/preview", json={"cron": "x"})
    assert bad.status_code == 400
    assert api(hub, alice, "GET", "api/projects/bad-input/schedules").json()["schedules"] == []
    r = api(hub, alice, "POST", "api/projects/bad-input/schedules", json=good)
    assert r.status_code == 201
    assert api(hub, alice, "POST", "api/projects/bad-input/schedules", json=good).status_code == 409
    sid = r.json()["id"]
    r = api(
        hub, alice, "PATCH", f"api/projects/bad-input/schedules/{sid}", json={"cron": "*/1 * * * *"}
    )
    assert r.status_code == 400
    after = api(hub, alice, "GET", f"api/projects/bad-input/schedules/{sid}").json()
    assert after["cron"] == "0 6 * * *"  # the refused edit left it as it was


def test_a_failing_scheduled_run_is_told_to_members_and_the_webhook(
    scheduling_hub: tuple[Hub, Path],
) -> None:
    hub, clock = scheduling_hub
    alice, bob, eve = (hub.token_for(u) for u in ("alice", "bob", "eve"))
    assert api(hub, alice, "POST", "api/projects", json={"slug": "nightly"}).status_code == 201
    r = api(hub, alice, "PUT", "api/projects/nightly/members/user/bob", json={"role": "viewer"})
    assert r.status_code == 200
    workspace = hub.data_root / "workspaces" / "nightly"
    write_notebook(
        workspace / "report.ipynb",
        "rows = 10",
        "import pathlib\nassert not pathlib.Path('broken').exists(), 'the source is broken'",
        "print(rows * 2)",
    )
    receiver = Receiver(failures=2)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        set_clock(clock, T0)
        r = api(
            hub,
            alice,
            "POST",
            "api/projects/nightly/schedules",
            json={
                "name": "report",
                "target": "report.ipynb",
                "parameters": {"rows": 5},
                "cron": "*/5 * * * *",
                "timezone": "Europe/Paris",
                "webhook_url": receiver.url,
            },
        )
        assert r.status_code == 201, r.text
        schedule = r.json()
        assert schedule["next_fire_at"].startswith("2030-01-07T11:00:00")
        assert schedule["webhook"] == f"http://127.0.0.1:{receiver.server_address[1]}/…"
        # Nobody has a server running: the schedule needs none.
        assert all(not u["servers"] for u in hub.api("GET", "users").json())
        first = wait_for_run(hub, alice, schedule["id"], count=1)
        assert first["status"] == "succeeded"
        assert (first["trigger"], first["triggered_by"]) == ("schedule", "schedule report")
        assert first["parameters"] == {"rows": 5}

        (workspace / "broken").write_text("yes")
        set_clock(clock, T0 + timedelta(minutes=5))
        second = wait_for_run(hub, alice, schedule["id"], count=2)
        assert second["status"] == "failed"

        def notes(token: str) -> list[dict[str, Any]]:
            return api(hub, token, "GET", "api/notifications").json()["notifications"]

        [note] = wait(lambda: notes(alice), "the notification")
        assert note["level"] == "error" and note["run_id"] == second["id"]
        assert "the source is broken" in note["message"]
        assert note["links"]["output"].endswith(
            f"/hub/user-redirect/lab/tree/runs/nightly/{second['id']}/report.ipynb"
        )
        assert f"scalelab-compare={first['id']}" in note["links"]["diff"]

        def same(n: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in n.items() if not k.startswith("webhook")}

        assert [same(n) for n in notes(bob)] == [same(note)]  # every member sees it
        assert notes(eve) == []  # nobody else
        newer = api(hub, alice, "GET", f"api/notifications?after={note['id']}").json()
        assert newer["notifications"] == []

        # The webhook: two failed deliveries, then accepted; the scheduler went on meanwhile.
        wait(lambda: notes(alice)[0]["webhook"] == "delivered", "the webhook")
        assert notes(alice)[0]["webhook_detail"] == "sent (attempt 3)"
        assert (notes(bob)[0]["webhook"], notes(bob)[0]["webhook_detail"]) == ("delivered", None)
        assert len(receiver.received) == 3
        payload = receiver.received[-1]
        assert "report" in payload["text"] and note["links"]["output"] in payload["text"]
        assert payload["scalelab"]["links"] == note["links"]

        history = api(hub, bob, "GET", f"api/projects/nightly/schedules/{schedule['id']}/history")
        events = history.json()["events"]
        assert [(e["outcome"], e["run_status"]) for e in events] == [
            ("queued", "failed"),
            ("queued", "succeeded"),
        ]
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_the_schedule_command(scheduling_hub: tuple[Hub, Path], tmp_path: Path) -> None:
    hub, _ = scheduling_hub
    alice = hub.token_for("alice")
    assert api(hub, alice, "POST", "api/projects", json={"slug": "cli"}).status_code == 201
    write_notebook(hub.data_root / "workspaces" / "cli" / "nb.ipynb", "n = 1", "print(n)")

    def scalelab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "scalelab"), "schedule", "--project", "cli", *args],
            env={"SCALELAB_SERVICE_URL": hub.service_url, "JUPYTERHUB_API_TOKEN": alice},
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = scalelab(
        "create",
        "nb.ipynb",
        "--name",
        "daily",
        "--cron",
        "0 6 * * *",
        "-p",
        "n=3",
        "--timezone",
        "Asia/Tokyo",
    )
    assert made.returncode == 0, made.stderr
    assert "next fire times in Asia/Tokyo" in made.stdout
    assert made.stdout.count("T21:00:00") == 5  # 06:00 in Tokyo is 21:00 UTC
    [schedule] = api(hub, alice, "GET", "api/projects/cli/schedules").json()["schedules"]
    assert schedule["parameters"] == {"n": 3}  # typed as the notebook declares it
    sid = str(schedule["id"])

    listed = scalelab("list")
    assert listed.returncode == 0 and "daily" in listed.stdout and "active" in listed.stdout
    assert scalelab("pause", sid).returncode == 0
    assert "paused" in scalelab("list").stdout
    resumed = scalelab("resume", sid)
    assert resumed.returncode == 0 and "next fire time" in resumed.stdout

    bad = scalelab("create", "nb.ipynb", "--name", "bad", "--cron", "0 25 * * *")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "invalid cron expression" in bad.stderr
    no_access = subprocess.run(
        [str(VENV_BIN / "scalelab"), "schedule", "--project", "cli", "list"],
        env={"SCALELAB_SERVICE_URL": hub.service_url, "JUPYTERHUB_API_TOKEN": hub.token_for("eve")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_access.returncode == 2 and "404" in no_access.stderr

    assert scalelab("delete", sid).returncode == 0
    assert api(hub, alice, "GET", "api/projects/cli/schedules").json()["schedules"] == []


def wait(check: Any, what: str, timeout: float = 60) -> Any:
    return wait_until(check, timeout, 0.2, what)


def wait_for_run(hub: Hub, token: str, schedule_id: int, count: int) -> dict[str, Any]:
    """The newest run of the schedule once there are `count` and it has finished."""

    def newest() -> dict[str, Any] | None:
        runs = api(hub, token, "GET", "api/projects/nightly/runs").json()["runs"]
        mine = [r for r in runs if r["trigger"] == "schedule"]
        if len(mine) >= count and mine[0]["status"] in ("succeeded", "failed", "cancelled"):
            return mine[0]
        return None

    return wait(newest, f"run {count} of schedule {schedule_id}", timeout=90)
