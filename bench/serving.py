"""Model serving through ScaleLab beside `mlflow models serve` of the same model folder.

A real JupyterHub with its proxy and the ScaleLab service; one project. The model: a 50-tree
random forest (scikit-learn, breast-cancer data, 30 features) logged to the project's MLflow
and registered twice (versions 1 and 2, the same forest). ScaleLab serves version 1 on
--workers replicas (min = max, no autoscaling), called through the hub's proxy at
`services/scalelab/serve/<project>/<endpoint>/invocations` with a hub token, as a member
would. The anchor: `mlflow models serve -m <the very folder the replicas load>
--env-manager local -w <--workers>` on a loopback port, called with no login.

The load, the same for both (bench/_load.py, a process of its own, aiohttp, keep-alive): one
row per request in MLflow's `dataframe_split` format, 64 different rows in turn.

- Throughput: --concurrency connections each sending its next request as soon as the last
  is answered, --seconds per round after a --warmup, --rounds rounds per contender alternating
  ScaleLab / MLflow (then MLflow / ScaleLab). Requests/s = answers / seconds over all rounds;
  p50 and p99 of all their latencies. Ratios are ScaleLab / MLflow: throughput_ratio (bar
  >= 3, aim 5) and p99_ratio (bar <= 0.5). Also for information: ScaleLab called with an
  endpoint key (`Authorization: Bearer slkey_...`) instead of a hub token; and the CPU time
  per answer of every process on each side (hub, proxy, service, replicas; MLflow's workers;
  the load generator), over the same seconds: unlike requests/s it hardly depends on what
  else the machine runs meanwhile (cpu_ratio, ScaleLab / MLflow).
- Peak memory: VmHWM of each replica process after the rounds, beside that of each of
  MLflow's uvicorn workers (the largest of each kind).
- Switch: an open-loop load of --steady-share x ScaleLab's measured requests/s (each request
  timed from when it was due), --baseline s of it, then version 2 is deployed blue-green
  (green replicas start beside the live ones, pass their checks, take all traffic, bake for
  30 s, the old ones drain and stop); the window ends when the old replica processes have
  exited. switch_non2xx: answers other than 2xx (or none) over the whole load.
  switch_max_added_ms: the slowest request begun in the window minus the p99 of the requests
  of the baseline before it (0 if none is slower).
- Kill: the same load; after the baseline one replica process gets SIGKILL; the window ends
  when the endpoint is back to --workers ready replicas, plus 2 s. kill_non2xx likewise, and
  kill_max_added_ms as above.

The service runs with its default settings (c.Serving: bake 30 s, checks every 1 s, batches of
up to 32 queued requests per replica).

    .venv/bin/python bench/serving.py [--workers 2] [--concurrency 16] [--seconds 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._machine import machine
from scalelab.tracking.quiet import NO_TELEMETRY
from tests.hubctl import Hub, free_port, make_hub
from tests.waiting import wait_until

USER = "alice"
SLUG = "bench"
MODEL = "forest"
ENDPOINT = "forest"
LOAD = Path(__file__).resolve().parent / "_load.py"
REPLICA_MODULE = "scalelab.serving.replica"
os.environ.update(NO_TELEMETRY)


# ---- measuring -------------------------------------------------------------------------------


@dataclass
class Records:
    """What one load process saw: (start, end, status) of each request, monotonic seconds."""

    rows: list[tuple[float, float, int]] = field(default_factory=list)

    def between(self, begin: float, end: float) -> Records:
        return Records([r for r in self.rows if begin <= r[0] < end])

    def latencies(self) -> list[float]:
        return sorted(1000 * (end - start) for start, end, _ in self.rows)

    def non2xx(self) -> int:
        return sum(1 for *_, status in self.rows if not 200 <= status < 300)

    def statuses(self) -> dict[int, int]:
        return dict(Counter(status for *_, status in self.rows))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted `values` (nan if there are none)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


@dataclass
class Target:
    label: str
    url: str
    headers: dict[str, str]
    roots: list[int] = field(default_factory=list)  # the server's processes and their children
    kinds: Callable[[list[str]], str] = lambda args: "server"  # a kind of process, by its args


class LoadRun:
    """One run of bench/_load.py; `stop()` ends an open-ended one; `records()` when over."""

    def __init__(
        self, target: Target, bodies: Path, folder: Path, *, warmup: float = 0.0, **how: Any
    ) -> None:
        self.out = folder / f"load-{time.monotonic_ns()}.json"
        command = [
            sys.executable,
            str(LOAD),
            "--url",
            target.url,
            "--bodies",
            str(bodies),
            "--out",
            str(self.out),
            "--warmup",
            str(warmup),
        ]
        for name, value in target.headers.items():
            command += ["--header", f"{name}: {value}"]
        for option, value in how.items():
            command += [f"--{option}", str(value)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )

    def mark(self, expected: str) -> None:
        """Wait for the load's `begin` or `end` line."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != expected:
            self.process.wait(30)
            raise RuntimeError(f"the load generator said {line!r} ({self.process.returncode})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def records(self, timeout: float = 120) -> Records:
        if self.process.wait(timeout) != 0:
            raise RuntimeError(f"the load generator exited with {self.process.returncode}")
        return Records([tuple(row) for row in json.loads(self.out.read_text())])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def load(target: Target, bodies: Path, folder: Path, **how: Any) -> Iterator[LoadRun]:
    run = LoadRun(target, bodies, folder, **how)
    try:
        yield run
    finally:
        with shielded():
            run.kill()


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while a clean-up runs."""
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


@dataclass
class Throughput:
    seconds: float = 0.0
    answers: int = 0
    non2xx: int = 0
    latencies: list[float] = field(default_factory=list)
    per_round: list[float] = field(default_factory=list)
    cpu_s: Counter[str] = field(default_factory=Counter)  # by kind of process
    others_cores: list[float] = field(default_factory=list)  # the rest of the machine

    def add(self, records: Records, seconds: float, cpu: CpuUse) -> None:
        self.seconds += seconds
        self.answers += len(records.rows)
        self.non2xx += records.non2xx()
        self.latencies = sorted(self.latencies + records.latencies())
        self.per_round.append(len(records.rows) / seconds)
        self.cpu_s.update(cpu.by_kind)
        self.others_cores.append(cpu.others_cores)

    def cpu_ms(self) -> dict[str, float]:
        """CPU milliseconds per answer, by kind of process."""
        return {kind: 1000 * s / self.answers for kind, s in self.cpu_s.items()}

    @property
    def rps(self) -> float:
        return self.answers / self.seconds

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


def closed_round(
    target: Target, bodies: Path, folder: Path, concurrency: int, warmup: float, seconds: float
) -> tuple[Records, float, CpuUse]:
    """Answers of requests begun and answered within the measured `seconds`, and the CPU
    time meanwhile of the server's processes and the load generator's."""
    with load(
        target, bodies, folder, warmup=warmup, concurrency=concurrency, seconds=seconds
    ) as run:
        roots = [*target.roots, run.process.pid]
        run.mark("begin")
        before = CpuSnapshot.take(roots, target.kinds)
        run.mark("end")
        cpu = CpuSnapshot.take(roots, target.kinds).since(before)
        records = run.records()
    if not records.rows:
        return records, seconds, cpu
    begin = min(start for start, _, _ in records.rows)
    inside = Records([r for r in records.rows if r[1] <= begin + seconds])
    return inside, seconds, cpu


# ---- processes and memory ----------------------------------------------------------------------


def peak_mib(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, in MiB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def cmdline(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    return []


def replica_pids(hub: Hub) -> dict[int, str]:
    """The deployment's replica processes: pid -> the model folder each one loaded."""
    found = {}
    for pid in hub.service_pids(REPLICA_MODULE):
        args = cmdline(pid)
        if "--model-dir" in args:
            found[pid] = args[args.index("--model-dir") + 1]
    return found


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has spent so far (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuUse:
    by_kind: dict[str, float]  # CPU seconds of the measured processes, by kind
    others_cores: float  # cores the rest of the machine kept busy meanwhile, on average


@dataclass
class CpuSnapshot:
    """CPU seconds so far of each process in the trees of some roots (with its kind), and of
    the whole machine."""

    at: float
    machine: float
    processes: dict[int, tuple[str, float]]

    @classmethod
    def take(cls, roots: list[int], kinds: Callable[[list[str]], str]) -> CpuSnapshot:
        import psutil

        found: dict[int, tuple[str, float]] = {}
        for root in roots:
            for pid in [root, *descendants(root)]:
                with contextlib.suppress(psutil.Error):
                    process = psutil.Process(pid)
                    times = process.cpu_times()
                    found[pid] = (kinds(process.cmdline()), times.user + times.system)
        return cls(time.monotonic(), machine_busy_s(), found)

    def since(self, before: CpuSnapshot) -> CpuUse:
        spent: Counter[str] = Counter()
        for pid, (kind, seconds) in self.processes.items():
            spent[kind] += seconds - before.processes.get(pid, (kind, 0.0))[1]
        others = self.machine - before.machine - sum(spent.values())
        return CpuUse(dict(spent), max(0.0, others) / (self.at - before.at))


def scalelab_kind(args: list[str]) -> str:
    if any(a.endswith("_load.py") for a in args):
        return "load generator"
    if REPLICA_MODULE in args:
        return "replicas"
    if "scalelab.service" in args:
        return "service"
    if any("configurable-http-proxy" in a for a in args):
        return "proxy"
    if any(a.endswith("jupyterhub") or a == "jupyterhub" for a in args):
        return "hub"
    return "other"


def mlflow_kind(args: list[str]) -> str:
    if any(a.endswith("_load.py") for a in args):
        return "load generator"
    joined = " ".join(args)
    if "multiprocessing" in joined and "resource_tracker" not in joined:
        return "workers"
    return "other"


def descendants(pid: int) -> list[int]:
    import psutil

    with contextlib.suppress(psutil.Error):
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    return []


# ---- ScaleLab: project, model, endpoint --------------------------------------------------------


@contextlib.contextmanager
def hub_at(data_root: Path) -> Iterator[Hub]:
    """A real deployment (hub, proxy, service), stopped whatever happens, also on a Ctrl-C
    while it starts."""
    hub = make_hub(data_root)
    try:
        hub.start()
        yield hub
    finally:
        with shielded():
            hub.stop()


class Api:
    def __init__(self, hub: Hub, token: str) -> None:
        self.base = hub.service_url
        self.headers = {"Authorization": f"token {token}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.base + path, headers=self.headers, timeout=60, **kwargs
        )

    def ok(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        r = self(method, path, **kwargs)
        if r.status_code != status:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:500]}")
        return r.json() if r.content else None

    def endpoint(self) -> dict[str, Any]:
        return dict(self.ok("GET", f"api/projects/{SLUG}/deployments/{ENDPOINT}", 200))

    def events(self) -> list[dict[str, Any]]:
        found = self.ok("GET", f"api/projects/{SLUG}/deployments/{ENDPOINT}/events", 200)
        return list(reversed(found["events"]))  # oldest first


def train_and_log(hub: Hub, token: str) -> tuple[str, list[list[float]], list[str]]:
    """The forest, logged to the project's MLflow through the service; its run id, and rows."""
    import mlflow
    import mlflow.sklearn
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    os.environ["MLFLOW_TRACKING_URI"] = hub.service_url + f"mlflow/{SLUG}"
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    # Quiet: MLflow's links to the run and its schema hints are no part of the report.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        mlflow.set_experiment("serving-bench")
        with mlflow.start_run() as run:
            mlflow.log_metric("accuracy", float(model.score(X, y)))
            mlflow.sklearn.log_model(
                model,
                name="model",
                input_example=X.head(2),
                skops_trusted_types=["sklearn.tree._tree.Tree"],
            )
    rows = X.sample(64, random_state=0).to_numpy().tolist()
    return run.info.run_id, rows, list(X.columns)


def deploy(
    api: Api, workers: int, timeout: float = 240, request_log_rate: float = 0.0
) -> dict[str, Any]:
    body = {
        "name": ENDPOINT,
        "model_uri": f"models:/{MODEL}/1",
        "min_replicas": workers,
        "max_replicas": workers,
        "request_log_rate": request_log_rate,
    }
    api.ok("POST", f"api/projects/{SLUG}/deployments", 202, json=body)

    def live() -> dict[str, Any] | None:
        found = api.endpoint()
        if found["state"] == "failed":
            raise RuntimeError(f"the deployment failed: {api.events()}")
        return found if found["state"] == "live" else None

    return dict(wait_until(live, timeout, 0.3, lambda: f"not live: {api.events()}"))


# ---- MLflow ----------------------------------------------------------------------------------


def mlflow_serve(model_dir: Path, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    # It runs `uvicorn` by name: the venv's, as for an activated venv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "models",
                "serve",
                "-m",
                str(model_dir),
                "--env-manager",
                "local",
                "-w",
                str(workers),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env={**env, **NO_TELEMETRY},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited: {log.read_text()[-2000:]}")
        try:
            return requests.get(url + "ping", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, 120, 0.3, lambda: f"mlflow models serve not up: {log.read_text()[-2000:]}")
    except BaseException:
        stop_group(process)
        raise
    return process, url


def stop_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(20)
    with contextlib.suppress(ProcessLookupError):  # workers left behind, if any
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


# ---- the phases ------------------------------------------------------------------------------


@dataclass
class Disruption:
    """The load through a switch or a kill: `begin` and `end` bound the window (monotonic)."""

    records: Records
    started: float
    begin: float
    end: float
    wall_begin: float
    events: list[dict[str, Any]]
    others_cores: float  # what the rest of the machine kept busy during the window
    marks: list[tuple[str, float]] = field(default_factory=list)  # (what, when: monotonic)

    @property
    def non2xx(self) -> int:
        return self.records.non2xx()

    @property
    def baseline_p99(self) -> float:
        """Of the requests before the window, but for the first second's (new connections)."""
        first = min((start for start, _, _ in self.records.rows), default=self.started)
        baseline = self.records.between(first + 1.0, self.begin)
        return percentile(baseline.latencies(), 0.99)

    @property
    def window(self) -> list[float]:
        return self.records.between(self.begin, self.end).latencies()

    @property
    def window_max(self) -> float:
        return max(self.window, default=float("nan"))

    @property
    def added_ms(self) -> float:
        return max(0.0, self.window_max - self.baseline_p99)

    def event_times(self) -> list[tuple[str, float]]:
        """Each event since the window began (kind and actor), in seconds after its start."""
        found = []
        for event in self.events:
            at = datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            found.append((f"{event['kind']} ({event['actor']})", at.timestamp() - self.wall_begin))
        return found

    def stages(self) -> list[tuple[float, str, int, float, float]]:
        """Requests begun in each stage of the window (between its events and marks): when it
        began (s after the window did), what began it, count, p99, slowest."""
        cuts = sorted(
            [(t, what) for what, t in self.event_times() if t > 0]
            + [(t - self.begin, what) for what, t in self.marks]
        )
        if not cuts or cuts[0][0] > 0.5:  # else the first event began the window
            cuts.insert(0, (0.0, "window begins"))
        bounds = [(0.0, cuts[0][1]), *cuts[1:], (self.end - self.begin, "window ends")]
        found = []
        for (t0, what), (t1, _) in itertools.pairwise(bounds):
            latencies = self.records.between(self.begin + t0, self.begin + t1).latencies()
            if latencies:
                p99 = percentile(latencies, 0.99)
                found.append((t0, what, len(latencies), p99, latencies[-1]))
        return found


def switch_phase(
    api: Api, hub: Hub, target: Target, bodies: Path, folder: Path, rate: float, baseline: float
) -> Disruption:
    """Version 2 deployed blue-green under load; the window ends when version 1's replica
    processes have exited."""
    seen = len(api.events())
    old = set(replica_pids(hub))
    with load(target, bodies, folder, rate=rate) as run:
        started = time.monotonic()
        time.sleep(baseline)
        roots = [*target.roots, run.process.pid, os.getpid()]
        before = CpuSnapshot.take(roots, target.kinds)
        begin, wall_begin = time.monotonic(), time.time()
        body = {"model_uri": f"models:/{MODEL}/2"}
        api.ok("POST", f"api/projects/{SLUG}/deployments/{ENDPOINT}/versions", 202, json=body)

        def switched() -> bool:
            found = api.endpoint()
            kinds = [e["kind"] for e in api.events()[seen:]]
            if "rollback" in kinds or "keep_blue" in kinds or "failed" in kinds:
                raise RuntimeError(f"the switch did not happen: {api.events()[seen:]}")
            promoted = (found["blue"] or {}).get("version") == "2" and found["green"] is None
            return promoted and not old & set(replica_pids(hub))

        wait_until(switched, 180, 0.1, lambda: f"no switch: {api.events()[seen:]}")
        end = time.monotonic()
        cpu = CpuSnapshot.take(roots, target.kinds).since(before)
        time.sleep(1.0)
        run.stop()
        records = run.records()
    events = api.events()[seen:]
    return Disruption(records, started, begin, end, wall_begin, events, cpu.others_cores)


def kill_phase(
    api: Api,
    hub: Hub,
    target: Target,
    bodies: Path,
    folder: Path,
    rate: float,
    baseline: float,
    workers: int,
) -> Disruption:
    """One replica SIGKILLed under load; the window ends 2 s after the endpoint is back to
    `workers` ready replicas."""
    seen = len(api.events())
    with load(target, bodies, folder, rate=rate) as run:
        started = time.monotonic()
        time.sleep(baseline)
        victim = min(replica_pids(hub))
        roots = [*target.roots, run.process.pid, os.getpid()]
        before = CpuSnapshot.take(roots, target.kinds)
        begin, wall_begin = time.monotonic(), time.time()
        os.kill(victim, signal.SIGKILL)

        def back() -> bool:
            found = api.endpoint()
            ready = [r for r in found["replicas"] if r["ready"]]
            pids = set(replica_pids(hub))
            return len(ready) == workers and victim not in pids and len(pids) == workers

        wait_until(back, 180, 0.1, lambda: f"not back: {api.events()[seen:]}")
        recovered = time.monotonic()
        time.sleep(2.0)
        end = time.monotonic()
        cpu = CpuSnapshot.take(roots, target.kinds).since(before)
        run.stop()
        records = run.records()
    events = api.events()[seen:]
    found = Disruption(records, started, begin, end, wall_begin, events, cpu.others_cores)
    found.marks.append(("back to full strength", recovered))
    return found


# ---- the report ------------------------------------------------------------------------------


def fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="replicas = mlflow -w")
    parser.add_argument("--concurrency", type=int, default=16, help="connections (throughput)")
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per contender")
    parser.add_argument(
        "--steady-share",
        type=float,
        default=0.5,
        help="switch and kill load, as a share of ScaleLab's measured requests/s",
    )
    parser.add_argument("--baseline", type=float, default=3.0, help="seconds before a switch/kill")
    args = parser.parse_args()
    # A SIGTERM ends the benchmark as Ctrl-C does: through the clean-ups below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workers = args.workers
    load_before = os.getloadavg()
    began = time.monotonic()
    setup: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="scalelab-bench-serving-") as tmp,
        hub_at(Path(tmp) / "data") as hub,
    ):
        root = Path(tmp)
        setup["hub"] = time.monotonic() - began
        token = hub.token_for(USER)
        api = Api(hub, token)
        api.ok("POST", "api/projects", 201, json={"slug": SLUG})
        run_id, rows, columns = train_and_log(hub, token)
        for _ in range(2):  # versions 1 and 2 of the same forest
            register = {"run_id": run_id, "name": MODEL}
            api.ok("POST", f"api/projects/{SLUG}/models", 201, json=register)
        setup["model"] = time.monotonic() - began - sum(setup.values())
        deploy(api, workers)
        setup["deploy"] = time.monotonic() - began - sum(setup.values())
        (model_dir,) = (hub.data_root / "serving").glob(f"*/models/{MODEL}/1")
        bodies = root / "bodies.json"
        documents = [{"dataframe_split": {"columns": columns, "data": [row]}} for row in rows]
        bodies.write_text(json.dumps(documents))
        assert hub.process is not None
        url = hub.service_url + f"serve/{SLUG}/{ENDPOINT}/invocations"
        tree = {"roots": [hub.process.pid], "kinds": scalelab_kind}
        scalelab = Target("ScaleLab, hub token", url, {"Authorization": f"token {token}"}, **tree)
        keys = f"api/projects/{SLUG}/deployments/{ENDPOINT}/keys"
        key = api.ok("POST", keys, 201, json={"label": "bench"})["key"]
        keyed = Target("ScaleLab, endpoint key", url, {"Authorization": f"Bearer {key}"}, **tree)

        mlflow_process, mlflow_url = mlflow_serve(model_dir, workers, root / "mlflow.log")
        setup["mlflow serve"] = time.monotonic() - began - sum(setup.values())
        try:
            anchor = Target(
                "mlflow models serve",
                mlflow_url + "invocations",
                {},
                roots=[mlflow_process.pid],
                kinds=mlflow_kind,
            )
            contenders = [scalelab, anchor, keyed]
            # All answer, and alike.
            answers = [
                requests.post(t.url, json=documents[0], headers=t.headers, timeout=30)
                for t in contenders
            ]
            for t, a in zip(contenders, answers, strict=True):
                if a.status_code != 200:
                    raise RuntimeError(f"{t.label}: {a.status_code} {a.text[:300]}")
            if len({json.dumps(a.json()["predictions"]) for a in answers}) != 1:
                raise RuntimeError(f"the answers differ: {[a.text for a in answers]}")

            results = {t.label: Throughput() for t in contenders}
            for r in range(args.rounds):
                order = contenders if r % 2 == 0 else [anchor, scalelab, keyed]
                for target in order:
                    results[target.label].add(
                        *closed_round(
                            target, bodies, root, args.concurrency, args.warmup, args.seconds
                        )
                    )
            replica_peaks = [peak_mib(pid) or 0.0 for pid in replica_pids(hub)]
            service_peaks = [peak_mib(pid) or 0.0 for pid in hub.service_pids("scalelab.service")]
            mlflow_tree = [mlflow_process.pid, *descendants(mlflow_process.pid)]
            kinds = {pid: mlflow_kind(cmdline(pid)) for pid in mlflow_tree}
            worker_peaks = [peak_mib(p) or 0.0 for p, k in kinds.items() if k == "workers"]
            mlflow_other_peaks = [peak_mib(p) or 0.0 for p, k in kinds.items() if k != "workers"]
        finally:
            with shielded():
                stop_group(mlflow_process)

        ours, theirs = results[scalelab.label], results[anchor.label]
        rate = round(args.steady_share * ours.rps)
        switch = switch_phase(api, hub, scalelab, bodies, root, rate, args.baseline)
        kill = kill_phase(api, hub, scalelab, bodies, root, rate, args.baseline, workers)
        logs = sorted((hub.data_root / "serving").glob("*/logs/*.log"))
        replica_log = "\n".join(p.read_text(errors="replace")[-3000:] for p in logs)
    load_after = os.getloadavg()

    throughput_ratio = ours.rps / theirs.rps
    p99_ratio = ours.p99 / theirs.p99
    keyed_result = results[keyed.label]
    print()
    print(
        f"Serving: a 50-tree random forest, 1 row per request, {workers} replicas vs "
        f"mlflow models serve -w {workers}"
    )
    print(
        f"  closed loop, {args.concurrency} connections, {args.rounds} x {args.seconds:g} s "
        "per contender, rounds alternating"
    )
    print(
        f"  {'':28}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'non-2xx':>8}  req/s by round "
        "(other processes' load, cores)"
    )
    for target in contenders:
        t = results[target.label]
        others = ", ".join(
            f"{rps:.0f} ({cores:.2f})"
            for rps, cores in zip(t.per_round, t.others_cores, strict=True)
        )
        print(f"  {target.label:28}{t.rps:8.0f}{t.p50:8.1f}{t.p99:8.1f}{t.non2xx:8d}  {others}")
    print(
        f"  ScaleLab (hub token) / MLflow: throughput {throughput_ratio:.2f}x "
        f"(bar >= 3, aim 5: {'met' if throughput_ratio >= 3 else 'NOT met'}), "
        f"p99 {p99_ratio:.2f}x (bar <= 0.5: {'met' if p99_ratio <= 0.5 else 'NOT met'})"
    )
    print(
        f"  with an endpoint key: throughput {keyed_result.rps / theirs.rps:.2f}x, "
        f"p99 {keyed_result.p99 / theirs.p99:.2f}x"
    )
    print("  CPU ms per answer, by process (all on this machine's cores):")
    for target in contenders:
        spent = results[target.label].cpu_ms()
        parts = ", ".join(f"{kind} {ms:.2f}" for kind, ms in sorted(spent.items()))
        print(f"    {target.label:28}{sum(spent.values()):6.2f} = {parts}")
    print()
    print("Peak memory (VmHWM), MiB")
    print(
        f"  ScaleLab replica {max(replica_peaks, default=0):.0f} (each: {fmt(replica_peaks)}); "
        f"the service process (gateway of all endpoints): {fmt(service_peaks)}"
    )
    print(
        f"  MLflow worker    {max(worker_peaks, default=0):.0f} (each: {fmt(worker_peaks)}); "
        f"its other processes: {fmt(mlflow_other_peaks)}"
    )
    print()
    print(
        f"Disruptions, open loop at {rate} req/s ({args.steady_share:g} x ScaleLab's), after "
        f"{args.baseline:g} s of baseline; added = slowest in the window - baseline p99"
    )
    print(
        f"  {'':28}{'window s':>9}{'requests':>9}{'non-2xx':>8}{'base p99':>9}"
        f"{'max ms':>9}{'added':>9}{'others':>8}"
    )
    phases = (("blue-green switch", switch), ("SIGKILL of one replica", kill))
    for label, d in phases:
        print(
            f"  {label:28}{d.end - d.begin:9.1f}{len(d.records.rows):9d}{d.non2xx:8d}"
            f"{d.baseline_p99:9.1f}{d.window_max:9.1f}{d.added_ms:9.1f}{d.others_cores:8.2f}"
        )
    print("  (others: cores kept busy meanwhile by processes that are not this benchmark's)")
    for label, d in phases:
        print(f"  {label}, by stage (s after it began: requests, p99 ms, slowest ms):")
        for t, what, n, p99, slowest in d.stages():
            print(f"    {t:6.1f}  {what:40}{n:7d}{p99:9.1f}{slowest:9.1f}")
        if d.non2xx:
            print(f"    statuses: {d.records.statuses()}")
            for event in d.events:
                who = f"{event['kind']} ({event['actor']})"
                print(f"    event {event['at']} {who}: {event['message']}")
    if switch.non2xx or kill.non2xx:
        print("  the replicas' logs (tail):")
        print("    " + replica_log.replace("\n", "\n    "))
    print(
        "  set-up, s: "
        + ", ".join(f"{what} {seconds:.1f}" for what, seconds in setup.items())
        + f"; the whole benchmark: {time.monotonic() - began:.0f} s"
    )
    print(
        f"  machine: {machine()}; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    figures = {
        "workers": workers,
        "concurrency": args.concurrency,
        "scalelab_rps": round(ours.rps, 1),
        "scalelab_p50_ms": round(ours.p50, 2),
        "scalelab_p99_ms": round(ours.p99, 2),
        "mlflow_rps": round(theirs.rps, 1),
        "mlflow_p50_ms": round(theirs.p50, 2),
        "mlflow_p99_ms": round(theirs.p99, 2),
        "throughput_ratio": round(throughput_ratio, 3),
        "p99_ratio": round(p99_ratio, 3),
        "key_throughput_ratio": round(keyed_result.rps / theirs.rps, 3),
        "key_p99_ratio": round(keyed_result.p99 / theirs.p99, 3),
        "scalelab_cpu_ms_per_answer": round(sum(ours.cpu_ms().values()), 2),
        "mlflow_cpu_ms_per_answer": round(sum(theirs.cpu_ms().values()), 2),
        "cpu_ratio": round(sum(ours.cpu_ms().values()) / sum(theirs.cpu_ms().values()), 3),
        "replica_peak_mib": round(max(replica_peaks, default=0), 1),
        "mlflow_worker_peak_mib": round(max(worker_peaks, default=0), 1),
        "others_cores_in_rounds": round(
            statistics.mean(c for t in results.values() for c in t.others_cores), 2
        ),
        "switch_non2xx": switch.non2xx,
        "switch_max_added_ms": round(switch.added_ms, 1),
        "kill_non2xx": kill.non2xx,
        "kill_max_added_ms": round(kill.added_ms, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
