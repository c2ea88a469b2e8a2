"""The model replica as the service runs it: a real process serving a real MLflow model on a
Unix socket, reached the way the service reaches it (secret header, socket path)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from scalelab.tracking.quiet import NO_TELEMETRY

SECRET = secrets.token_urlsafe(32)
HEADER = "X-ScaleLab-Replica-Secret"
MAX_ROWS = 100
START_TIMEOUT = 60.0


@dataclass
class Trained:
    path: Path
    model: Any
    X: pd.DataFrame

    def expected(self, rows: pd.DataFrame) -> list[float]:
        return [float(value) for value in self.model.predict(rows)]


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    socket: Path
    log: Path
    client: httpx.Client

    def post(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.client.post("/invocations", json=body, **kwargs)


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **NO_TELEMETRY, **extra}
    env.pop("SCALELAB_REPLICA_SECRET", None)
    return {**env, **extra}


def _command(model_dir: Path, socket: Path, max_body_mb: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scalelab.serving.replica",
        "--model-dir",
        str(model_dir),
        "--socket",
        str(socket),
        "--max-batch",
        "32",
        "--max-rows",
        str(MAX_ROWS),
        "--max-body-mb",
        str(max_body_mb),
    ]


def _client(socket: Path, secret: str | None = SECRET) -> httpx.Client:
    return httpx.Client(
        transport=httpx.HTTPTransport(uds=str(socket)),
        base_url="http://replica",
        headers={HEADER: secret} if secret is not None else {},
        timeout=30,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )


def _wait_for_ping(process: subprocess.Popen[bytes], socket: Path, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with _client(socket) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the replica exited: {log.read_text()[-2000:]}"
            if socket.exists():
                try:
                    if client.get("/ping").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
    raise AssertionError(f"the replica did not answer: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    y = X.a + 2 * X.b - X.c + rng.normal(scale=0.1, size=len(X))
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model"
    mlflow.sklearn.save_model(
        model,
        str(path),
        signature=infer_signature(X, model.predict(X)),
        input_example=X.head(3),
        skops_trusted_types=["sklearn.tree._tree.Tree"],
    )
    return Trained(path, model, X)


@pytest.fixture(scope="module")
def replica(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replica]:
    folder = tmp_path_factory.mktemp("replica")
    socket, log = folder / "replica.sock", folder / "replica.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _command(trained.path, socket),
            env=_env(SCALELAB_REPLICA_SECRET=SECRET),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_ping(process, socket, log)
        with _client(socket) as client:
            yield Replica(process, socket, log, client)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _split(rows: pd.DataFrame) -> dict[str, Any]:
    return {"dataframe_split": rows.to_dict(orient="split", index=False)}


# --- the routes ------------------------------------------------------------------------------


def test_ping_and_metadata(replica: Replica, trained: Trained) -> None:
    assert replica.client.get("/ping").json() == {"status": "ok"}
    metadata = replica.client.get("/metadata").json()
    inputs = metadata["signature"]["inputs"]
    assert [(col["name"], col["type"]) for col in inputs] == [(name, "double") for name in "abcd"]
    assert metadata["signature"]["outputs"]
    example = metadata["input_example"]
    assert set(example) == {"dataframe_split"}
    response = replica.post(example)
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == pytest.approx(trained.expected(trained.X.head(3)))


@pytest.mark.parametrize("form", ["split", "records", "instances", "inputs", "csv"])
def test_formats_predict_like_the_model(replica: Replica, trained: Trained, form: str) -> None:
    rows = trained.X.iloc[10:30].reset_index(drop=True)
    if form == "csv":
        response = replica.client.post(
            "/invocations",
            content=rows.to_csv(index=False),
            headers={"Content-Type": "text/csv"},
        )
    else:
        body = {
            "split": _split(rows),
            "records": {"dataframe_records": rows.to_dict(orient="records")},
            "instances": {"instances": rows.to_dict(orient="records")},
            "inputs": {"inputs": rows.to_dict(orient="list")},
        }[form]
        response = replica.post(body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": pytest.approx(trained.expected(rows))}


def test_params_are_accepted(replica: Replica, trained: Trained) -> None:
    rows = trained.X.head(2)
    response = replica.post({**_split(rows), "params": {}})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == pytest.approx(trained.expected(rows))


# --- who may ask -----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_every_route_wants_the_secret(replica: Replica, secret: str | None) -> None:
    with _client(replica.socket, secret) as stranger:
        for method, path in [("GET", "/ping"), ("GET", "/metadata"), ("POST", "/invocations")]:
            response = stranger.request(method, path, json={"inputs": [[1, 2, 3, 4]]})
            assert response.status_code == 403, (path, response.text)
            assert response.json()["error_code"] == "FORBIDDEN"


def test_socket_is_private(replica: Replica) -> None:
    mode = replica.socket.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


# --- bad input -------------------------------------------------------------------------------


def _assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error_code"] and isinstance(error["error_code"], str)
    message = error["message"]
    assert message and "\n" not in message and len(message) <= 400
    return str(message)


@pytest.mark.parametrize(
    "body",
    [
        b'{"dataframe_split": {"columns": ["a"',
        b"not json at all",
        b"[1, 2, 3]",
        b'{"something_else": [[1, 2, 3, 4]]}',
        json.dumps(
            {"dataframe_split": {"columns": ["a", "b", "c", "x"], "data": [[1, 2, 3, 4]]}}
        ).encode(),
        json.dumps(
            {"dataframe_split": {"columns": list("abcd"), "data": [["one", 2, 3, 4]]}}
        ).encode(),
        json.dumps({"dataframe_records": [{"a": 1, "b": 2}]}).encode(),
        json.dumps({"dataframe_split": 5}).encode(),
    ],
    ids=[
        "truncated",
        "not-json",
        "list",
        "unknown-key",
        "wrong-column",
        "string-in-number",
        "missing-columns",
        "not-a-table",
    ],
)
def test_bad_input_is_400(replica: Replica, trained: Trained, body: bytes) -> None:
    response = replica.client.post(
        "/invocations", content=body, headers={"Content-Type": "application/json"}
    )
    _assert_error(response, 400)
    good = replica.post(_split(trained.X.head(1)))
    assert good.status_code == 200


def test_bad_csv_is_400(replica: Replica) -> None:
    response = replica.client.post(
        "/invocations", content=b"a,b,c,d\nx,y,z,w\n", headers={"Content-Type": "text/csv"}
    )
    _assert_error(response, 400)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json; charset=latin-1"])
def test_unsupported_content_type_is_415(replica: Replica, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = replica.client.post("/invocations", content=b"{}", headers=headers)
    _assert_error(response, 415)


def test_body_over_the_limit_is_413(replica: Replica) -> None:
    big = b'{"inputs": [' + b"1.0, " * (2 * 2**20 // 5) + b"1.0]}"
    assert len(big) > 2 * 2**20
    headers = {"Content-Type": "application/json"}
    response = replica.client.post("/invocations", content=big, headers=headers)
    assert "1 MiB" in _assert_error(response, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the replica must count as it reads
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    response = replica.client.post("/invocations", content=chunks(), headers=headers)
    _assert_error(response, 413)
    assert replica.client.get("/ping").status_code == 200


def test_too_many_rows_is_413(replica: Replica, trained: Trained) -> None:
    rows = trained.X.head(MAX_ROWS + 1)
    message = _assert_error(replica.post(_split(rows)), 413)
    assert str(MAX_ROWS) in message
    assert replica.post(_split(trained.X.head(MAX_ROWS))).status_code == 200


def test_model_failure_is_500_and_the_replica_stays_up(replica: Replica, trained: Trained) -> None:
    # the signature allows infinity in a double column; scikit-learn's predict refuses it
    response = replica.client.post(
        "/invocations",
        content=b"a,b,c,d\n1,2,3,4\ninf,1,1,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert "the model failed" in _assert_error(response, 500)
    assert replica.client.get("/ping").status_code == 200
    assert replica.post(_split(trained.X.head(2))).status_code == 200


# --- load ------------------------------------------------------------------------------------


@dataclass
class Job:
    """One request of a mixed load, and what it must get back."""

    rows: pd.DataFrame
    body: bytes
    content_type: str
    status: int


def _mixed_jobs(X: pd.DataFrame, count: int) -> list[Job]:
    """Distinct inputs in every format, with some that fail to parse (a string in a number
    column: 400) or to predict (infinity, which scikit-learn refuses: 500)."""
    jobs = []
    for i in range(count):
        start = (i * 7) % (len(X) - 5)
        rows = X.iloc[start : start + 1 + i % 4].reset_index(drop=True)
        kind = ["split", "split", "records", "csv", "split", "poisoned", "split", "mistyped"][i % 8]
        status = {"poisoned": 500, "mistyped": 400}.get(kind, 200)
        if kind == "csv":
            jobs.append(Job(rows, rows.to_csv(index=False).encode(), "text/csv", status))
            continue
        if kind == "records":
            body: dict[str, Any] = {"dataframe_records": rows.to_dict(orient="records")}
        else:
            body = _split(rows)
            if kind == "poisoned":
                body["dataframe_split"]["data"][0][0] = float("inf")
            elif kind == "mistyped":
                body["dataframe_split"]["data"][-1][2] = "three"
        # json.dumps writes infinity as Infinity, which Python's json (and so MLflow) reads back
        jobs.append(Job(rows, json.dumps(body).encode(), "application/json", status))
    return jobs


def _check(job: Job, status: int, body: bytes, trained: Trained) -> None:
    assert status == job.status, body
    answer = json.loads(body)
    if status == 200:
        assert answer == {"predictions": pytest.approx(trained.expected(job.rows))}
    else:
        assert answer["message"]


def test_concurrent_requests_each_get_their_own_answer(replica: Replica, trained: Trained) -> None:
    """Requests that queue up are predicted together; each must still get its own rows'
    predictions, and a failing one must not spoil the others batched with it."""
    jobs = _mixed_jobs(trained.X, 128)

    def ask(job: Job) -> httpx.Response:
        headers = {"Content-Type": job.content_type}
        return replica.client.post("/invocations", content=job.body, headers=headers)

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(ask, jobs))
    for job, response in zip(jobs, responses, strict=True):
        _check(job, response.status_code, response.content, trained)


def test_batches_answer_each_request_as_if_alone(trained: Trained) -> None:
    """The batching itself, in this process: a queue of mixed requests scored at once gets what
    each request gets when scored alone."""
    import mlflow.pyfunc

    from scalelab.serving.scoring import Scorer

    scorer = Scorer(mlflow.pyfunc.load_model(str(trained.path)), MAX_ROWS)
    jobs = _mixed_jobs(trained.X, 40)
    too_many = _split(trained.X.head(MAX_ROWS + 1))
    jobs.append(Job(trained.X.head(0), json.dumps(too_many).encode(), "application/json", 413))
    with_params = {**_split(trained.X.head(2)), "params": {}}
    jobs.append(Job(trained.X.head(2), json.dumps(with_params).encode(), "application/json", 200))
    alone = [scorer.score_many([(job.body, job.content_type)])[0] for job in jobs]
    # all of them; none that fail to parse (joined parsing works, the joined predict fails);
    # only those that succeed (one predict for all)
    for statuses in [(200, 400, 413, 500), (200, 413, 500), (200,)]:
        queued = [
            (job, own) for job, own in zip(jobs, alone, strict=True) if job.status in statuses
        ]
        batched = scorer.score_many([(job.body, job.content_type) for job, _ in queued])
        for (job, own), answer in zip(queued, batched, strict=True):
            _check(job, answer.status, answer.body, trained)
            assert (answer.status, json.loads(answer.body)) == (own.status, json.loads(own.body))


# --- starting and stopping -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, ""])
def test_missing_secret_refuses_to_start(
    trained: Trained, tmp_path: Path, secret: str | None
) -> None:
    env = _env() if secret is None else _env(SCALELAB_REPLICA_SECRET=secret)
    started = time.monotonic()
    result = subprocess.run(
        _command(trained.path, tmp_path / "r.sock"),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert "SCALELAB_REPLICA_SECRET" in result.stderr.decode()
    assert time.monotonic() - started < 10
    assert not (tmp_path / "r.sock").exists()


def test_replica_stops_when_its_service_dies(trained: Trained, tmp_path: Path) -> None:
    """A stand-in service starts a replica, waits until its socket is there, and dies."""
    socket, log = tmp_path / "r.sock", tmp_path / "r.log"
    service = (
        "import subprocess, sys, time, os\n"
        f"log = open({str(log)!r}, 'wb')\n"
        f"p = subprocess.Popen({_command(trained.path, socket)!r}, stdin=subprocess.DEVNULL,"
        " stdout=log, stderr=log)\n"
        f"deadline = time.monotonic() + {START_TIMEOUT}\n"
        f"while not os.path.exists({str(socket)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "print(p.pid)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", service],
        env=_env(SCALELAB_REPLICA_SECRET=SECRET),
        capture_output=True,
        timeout=START_TIMEOUT + 10,
    )
    assert result.returncode == 0, result.stderr
    pid = int(result.stdout)
    assert socket.exists(), log.read_text()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (_alive(pid) or socket.exists()):
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the orphaned replica did not stop: {log.read_text()[-2000:]}")
    assert not socket.exists()


def _alive(pid: int) -> bool:
    """Whether a process that is not our child runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_sigterm_stops_and_removes_the_socket(replica: Replica) -> None:
    """Last: stops the module's replica."""
    assert replica.client.get("/ping").status_code == 200
    replica.process.terminate()
    assert replica.process.wait(timeout=20) == 0
    assert not replica.socket.exists()
    log = replica.log.read_text()
    assert "Traceback" not in log, log[-3000:]
