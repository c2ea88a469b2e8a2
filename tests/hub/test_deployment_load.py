"""Endpoints under a steady load, through a real hub's service: a blue-green switch, a killed
replica and bad new versions cost no failed request; bad input is refused with a message and
leaves the replicas up; the service restarted brings its endpoints back; the CLI drives it all.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from scalelab.environ import is_private
from tests.hubctl import Hub, running_hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
SLUG, USER, VIEWER = "serving", "alice", "bob"
REPLICA = "scalelab.serving.replica"
# The bake is short so that the tests do not wait; a bad version shows after ten requests;
# the autoscaler acts on two seconds of load.
SERVING = """
c.Serving.bake_seconds = 4
c.Serving.check_interval = 0.2
c.Serving.min_bake_requests = 10
c.Serving.drain_timeout = 10
c.Serving.target_in_flight = 1
c.Serving.scale_up_after = 1
c.Serving.scale_down_after = 3
c.Serving.load_window = 2
"""
TRAIN = """
import mlflow, mlflow.pyfunc, mlflow.sklearn, pandas as pd
from sklearn.tree import DecisionTreeClassifier
X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
mlflow.log_metric("accuracy", 1.0)

class Unloadable(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise RuntimeError("this model cannot load")
    def predict(self, context, model_input):
        return model_input

class FailsOnLargeValues(mlflow.pyfunc.PythonModel):
    # Passes its smoke request (the input example holds 0 and 1), fails real traffic.
    def predict(self, context, model_input):
        if (model_input["x"] >= 3).any():
            raise ValueError("x too large")
        return model_input["x"] * 0

class ShowsItsEnvironment(mlflow.pyfunc.PythonModel):
    # Models may hold code: what that code finds, in os.environ and in the process's start.
    def predict(self, context, model_input):
        import os, pathlib
        start = pathlib.Path("/proc/self/environ").read_bytes().split(b"\\0")
        names = set(os.environ) | {e.split(b"=", 1)[0].decode() for e in start if b"=" in e}
        return [" ".join(sorted(names))] * len(model_input)

if kind == "environ":
    mlflow.pyfunc.log_model(
        name="model", python_model=ShowsItsEnvironment(), input_example=X.head(2)
    )
elif kind == "unloadable":
    mlflow.pyfunc.log_model(name="model", python_model=Unloadable(), input_example=X.head(2))
elif kind == "errors":
    mlflow.pyfunc.log_model(
        name="model", python_model=FailsOnLargeValues(), input_example=X.head(2)
    )
else:
    columns = ["x"] if kind != "other_columns" else ["a", "b"]
    data = pd.DataFrame({c: X["x"] for c in columns})
    model = DecisionTreeClassifier(max_depth=depth).fit(data, [0, 1, 1, 0])
    mlflow.sklearn.log_model(
        model, name="model", input_example=data.head(2),
        skops_trusted_types=["sklearn.tree._tree.Tree"],
    )
"""
ROWS = {"dataframe_split": {"columns": ["x"], "data": [[0.0], [3.0]]}}


@dataclass
class Served:
    hub: Hub
    versions: dict[str, str]
    owner: dict[str, str]
    viewer: dict[str, str]
    endpoint: str = "load"
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"{self.hub.service_url}serve/{SLUG}/{self.endpoint}/invocations"

    def api(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        url = f"{self.hub.service_url}api/projects/{SLUG}/deployments{path}"
        return requests.request(method, url, headers=self.owner, timeout=60, **kwargs)

    def state(self) -> dict[str, Any]:
        found: dict[str, Any] = self.api("GET", f"/{self.endpoint}").json()
        return found

    def events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api("GET", f"/{self.endpoint}/events").json()["events"]
        return found

    def last_event(self) -> int:
        return max((e["id"] for e in self.events()), default=0)

    def event_after(self, since: int, kinds: set[str], timeout: float = 180) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((e for e in self.events() if e["id"] > since and e["kind"] in kinds), None)

        event: dict[str, Any] = wait_until(found, timeout, 0.2, lambda: str(self.events()[:6]))
        return event


def train(hub: Hub, headers: dict[str, str], kind: str, depth: int = 2) -> str:
    """A registered version of model `load` made by a notebook run of the project."""
    api = f"{hub.service_url}api/projects/{SLUG}"
    target = f"train_{kind}_{depth}.ipynb"
    write_notebook(
        hub.data_root / "workspaces" / SLUG / target, f"kind = {kind!r}\ndepth = {depth}", TRAIN
    )
    run = requests.post(f"{api}/runs", json={"target": target}, headers=headers, timeout=30)
    assert run.status_code == 201, run.text

    def ended() -> dict[str, Any] | None:
        found = requests.get(f"{api}/runs/{run.json()['id']}", headers=headers, timeout=30).json()
        return found if found["status"] not in ("queued", "running") else None

    assert wait_until(ended, 180, 0.5)["status"] == "succeeded"
    r = requests.post(
        f"{api}/models",
        json={"run_id": run.json()["id"], "name": "load"},
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["versions"][0]["version"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_hub(tmp_path_factory.mktemp("serving"), SERVING) as hub:
        owner = {"Authorization": f"token {hub.token_for(USER)}"}
        viewer = {"Authorization": f"token {hub.token_for(VIEWER)}"}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": SLUG}, headers=owner, timeout=30).status_code == 201
        r = requests.put(
            f"{api}/{SLUG}/members/user/{VIEWER}",
            json={"role": "viewer"},
            headers=owner,
            timeout=30,
        )
        assert r.ok, r.text
        versions = {
            kind: train(hub, owner, kind, depth)
            for kind, depth in (
                ("good", 2),
                ("better", 3),
                ("other_columns", 2),
                ("unloadable", 2),
                ("errors", 2),
                ("environ", 2),
            )
        }
        served = Served(hub, versions, owner, viewer)
        body = {
            "name": served.endpoint,
            "model_uri": f"models:/load/{versions['good']}",
            "min_replicas": 2,
            "max_replicas": 2,
            "request_log_rate": 1.0,
        }
        assert served.api("POST", json=body).status_code == 202
        wait_until(lambda: served.state()["state"] == "live", 180, 0.3, served.events)
        yield served


@dataclass
class Answered:
    started: float
    ms: float
    status: int
    version: str | None


@contextmanager
def steady_load(url: str, headers: dict[str, str], clients: int = 4) -> Iterator[list[Answered]]:
    """`clients` callers sending one small request after another until the block ends."""
    answers: list[Answered] = []
    stop = threading.Event()

    def client() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.time()
                try:
                    r = session.post(url, json=ROWS, headers=headers, timeout=30)
                    status, version = r.status_code, r.headers.get("X-ScaleLab-Version")
                except requests.RequestException:
                    status, version = 0, None
                answers.append(Answered(started, (time.time() - started) * 1000, status, version))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)  # warm: connections made, replicas busy
        yield answers
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def failed(answers: list[Answered]) -> list[tuple[int, str | None]]:
    return [(a.status, a.version) for a in answers if a.status != 200]


def at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["at"]).timestamp()


def replica_pids(hub: Hub) -> list[int]:
    return hub.service_pids(REPLICA)


def test_a_blue_green_switch_under_load_fails_no_request(served: Served) -> None:
    since = served.last_event()
    with steady_load(served.url, served.viewer) as answers:
        time.sleep(2)
        baseline = sorted(a.ms for a in answers)
        r = served.api(
            "POST",
            f"/{served.endpoint}/versions",
            json={"model_uri": f"models:/load/{served.versions['better']}"},
        )
        assert r.status_code == 202, r.text
        switch = served.event_after(since, {"switch"})
        promote = served.event_after(since, {"promote"})
        time.sleep(1)
    assert failed(answers) == []
    new = f"load/{served.versions['better']}"
    assert answers[-1].version == new
    # The moments the traffic moves (to green, then blue's drain): no request that started
    # near them took more than 100 ms longer than the load's 99th percentile before.
    p99 = baseline[int(len(baseline) * 0.99) - 1]
    for moment in (at(switch), at(promote)):
        near = [a.ms for a in answers if moment - 0.5 <= a.started <= moment + 0.5]
        assert near, "no request near the switch"
        assert max(near) - p99 <= 100, (max(near), p99)
    state = served.state()
    assert state["blue"]["version"] == served.versions["better"] and state["green"] is None
    assert state["previous"]["version"] == served.versions["good"]
    # Blue drained, and its replicas stopped.
    wait_until(lambda: len(replica_pids(served.hub)) == 2, 30, 0.2, "the old replicas stay")


def test_a_killed_replica_under_load_fails_no_request(served: Served) -> None:
    before = replica_pids(served.hub)
    assert len(before) == 2, before
    since = served.last_event()
    with steady_load(served.url, served.viewer) as answers:
        time.sleep(1)
        os.kill(before[0], signal.SIGKILL)
        served.event_after(since, {"restart"})
        wait_until(lambda: sum(r["ready"] for r in served.state()["replicas"]) == 2, 120, 0.2)
        time.sleep(1)
    assert failed(answers) == []
    after = replica_pids(served.hub)
    assert len(after) == 2 and before[0] not in after


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("unloadable", "cannot load"),
        ("other_columns", "signature"),
        ("errors", "requests failed"),
    ],
)
def test_a_bad_new_version_never_takes_traffic_from_blue(
    served: Served, kind: str, says: str
) -> None:
    live = served.state()["blue"]["version"]
    since = served.last_event()
    with steady_load(served.url, served.viewer) as answers:
        r = served.api(
            "POST",
            f"/{served.endpoint}/versions",
            json={"model_uri": f"models:/load/{served.versions[kind]}"},
        )
        assert r.status_code == 202, r.text
        outcome = served.event_after(since, {"keep_blue", "rollback", "promote", "failed"})
        time.sleep(1)
    assert outcome["kind"] in ("keep_blue", "rollback"), outcome
    assert says in outcome["message"], outcome
    assert failed(answers) == []
    # Every answer came from the live version (a failed one on green was retried on blue).
    assert {a.version for a in answers} == {f"load/{live}"}
    state = served.state()
    assert state["blue"]["version"] == live and state["green"] is None
    assert state["state"] == "live"


def test_the_autoscaler_follows_the_load_and_says_why(served: Served) -> None:
    body = {
        "name": "elastic",
        "model_uri": f"models:/load/{served.versions['good']}",
        "min_replicas": 1,
        "max_replicas": 2,
    }
    assert served.api("POST", json=body).status_code == 202
    elastic = Served(served.hub, served.versions, served.owner, served.viewer, "elastic")
    wait_until(lambda: elastic.state()["state"] == "live", 180, 0.3, elastic.events)
    since = elastic.last_event()
    with steady_load(elastic.url, served.viewer, clients=6) as answers:
        up = elastic.event_after(since, {"scale"}, timeout=60)
        wait_until(lambda: sum(r["ready"] for r in elastic.state()["replicas"]) == 2, 120, 0.2)
    assert failed(answers) == []
    assert up["actor"] == "autoscaler" and "in flight" in up["message"], up
    # The load is gone: back to the minimum after the down delay, with the reason.
    down = elastic.event_after(up["id"], {"scale"}, timeout=60)
    assert down["actor"] == "autoscaler", down
    wait_until(lambda: len(elastic.state()["replicas"]) == 1, 60, 0.2)
    assert served.api("DELETE", "/elastic").status_code == 204


def test_a_models_code_finds_no_credential_of_the_service(served: Served) -> None:
    body = {"name": "env", "model_uri": f"models:/load/{served.versions['environ']}"}
    assert served.api("POST", json=body).status_code == 202
    env = Served(served.hub, served.versions, served.owner, served.viewer, "env")
    wait_until(lambda: env.state()["state"] == "live", 180, 0.3, env.events)
    r = requests.post(env.url, json=ROWS, headers=served.viewer, timeout=30)
    assert r.status_code == 200, r.text
    names = set(r.json()["predictions"][0].split())
    assert "PATH" in names  # the check sees the environment at all
    leaked = [n for n in names if is_private(n) and n != "SCALELAB_REPLICA_SECRET"]
    assert leaked == [], leaked
    assert served.api("DELETE", "/env").status_code == 204


def test_bad_input_is_refused_with_a_message_and_replicas_stay_up(served: Served) -> None:
    before = replica_pids(served.hub)
    call = served.viewer | {"Content-Type": "application/json"}

    def post(body: bytes | str) -> requests.Response:
        return requests.post(served.url, data=body, headers=call, timeout=60)

    columns = {"dataframe_split": {"columns": ["nope"], "data": [[1.0]]}}
    types = {"dataframe_split": {"columns": ["x"], "data": [["not a number"]]}}
    big = b'{"dataframe_split": {"columns": ["x"], "data": [' + b"[1.0]," * 2_000_000 + b"[1.0]]}}"
    rows = {"dataframe_split": {"columns": ["x"], "data": [[1.0]] * 10_001}}
    for body, status, says in (
        ("{not json", 400, "JSON"),
        (json.dumps({"no": "format"}), 400, "dataframe_split"),
        (json.dumps(columns), 400, "x"),
        (json.dumps(types), 400, ""),
        (big, 413, "limit"),
        (json.dumps(rows), 413, "10000"),
    ):
        r = post(body)
        assert r.status_code == status, (r.status_code, r.text[:300])
        assert says in r.text, r.text[:300]
    # The limit is a limit: 10,000 rows are served.
    r = post(json.dumps({"dataframe_split": {"columns": ["x"], "data": [[1.0]] * 10_000}}))
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["predictions"]) == 10_000
    assert replica_pids(served.hub) == before
    assert post(json.dumps(ROWS)).status_code == 200

    # The request log (every request sampled here) holds answered predictions only.
    def logged() -> list[dict[str, Any]]:
        lines = []
        for path in (served.hub.data_root / "serving").glob(f"*/requests/{served.endpoint}/*"):
            lines += [json.loads(line) for line in path.read_text().splitlines()]
        return lines

    wait_until(lambda: len(logged()) > 0, 30, 0.2)
    entries = logged()
    assert {e["status"] for e in entries} == {200}
    assert all(isinstance(e["inputs"], dict) for e in entries)
    assert not any("nope" in json.dumps(e["inputs"]) for e in entries)


def test_the_cli_deploys_lists_predicts_and_rolls_back(served: Served, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SCALELAB_SERVICE_URL": served.hub.service_url,
        "JUPYTERHUB_API_TOKEN": served.owner["Authorization"].split()[1],
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scalelab.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    model = f"models:/load/{served.versions['good']}"
    r = cli("deploy", model, "--project", SLUG, "--endpoint", "cli", "--max", "2")
    assert r.returncode == 0, r.stderr
    assert "ready" in r.stderr  # progress, from the endpoint's events
    assert f"load/{served.versions['good']}" in r.stdout
    r = cli("endpoints", "--project", SLUG)
    assert r.returncode == 0 and "cli " in r.stdout and "live" in r.stdout, r.stdout

    body = tmp_path / "input.json"
    body.write_text(json.dumps(ROWS))
    r = cli("predict", "cli", "--project", SLUG, "-d", f"@{body}")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2
    r = cli("predict", "cli", "--project", SLUG, "-d", "{oops")
    assert r.returncode == 2 and "not JSON" in r.stderr and len(r.stderr.splitlines()) == 1

    # A bad version: exit 1 with the reason; the live one stays.
    bad = f"models:/load/{served.versions['unloadable']}"
    r = cli("deploy", bad, "--project", SLUG, "--endpoint", "cli")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "cannot load" in r.stderr.splitlines()[-1]
    r = cli(
        "deploy",
        f"models:/load/{served.versions['better']}",
        "--project",
        SLUG,
        "--endpoint",
        "cli",
    )
    assert r.returncode == 0, r.stderr
    wait_until(lambda: served.api("GET", "/cli").json()["green"] is None, 60, 0.2)
    r = cli("rollback", "cli", "--project", SLUG)
    assert r.returncode == 0, r.stderr
    # It returns once the earlier version took the traffic back (blue stays for the bake).
    assert f"green load/{served.versions['good']} (100%)" in r.stdout, r.stdout
    wait_until(
        lambda: served.api("GET", "/cli").json()["blue"]["version"] == served.versions["good"],
        60,
        0.2,
    )

    # Refusals: one line, exit 2.
    viewer_env = env | {"JUPYTERHUB_API_TOKEN": served.viewer["Authorization"].split()[1]}
    r = subprocess.run(
        [sys.executable, "-m", "scalelab.cli", "rollback", "cli", "--project", SLUG],
        capture_output=True,
        text=True,
        env=viewer_env,
        timeout=60,
    )
    assert r.returncode == 2 and "deployer" in r.stderr, r.stderr
    r = cli("endpoints", "--project", "nowhere")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert served.api("DELETE", "/cli").status_code == 204


def test_a_restarted_service_brings_its_endpoints_back(served: Served) -> None:
    live = served.state()["blue"]["version"]
    [service] = served.hub.service_pids()
    before = replica_pids(served.hub)
    os.kill(service, signal.SIGKILL)
    # Replicas notice their service is gone, and the hub starts another service.
    wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in before), 30, 0.2)

    def back() -> dict[str, Any] | None:
        try:
            state = served.state()
        except (requests.RequestException, ValueError):
            return None
        ready = sum(r["ready"] for r in state.get("replicas", []))
        return state if state.get("state") == "live" and ready == 2 else None

    state = wait_until(back, 180, 0.5, lambda: served.hub.log()[-3000:])
    assert state["blue"]["version"] == live
    r = requests.post(served.url, json=ROWS, headers=served.viewer, timeout=30)
    assert r.status_code == 200 and r.headers["X-ScaleLab-Version"] == f"load/{live}"
    assert statistics.mean(r.json()["predictions"]) >= 0
