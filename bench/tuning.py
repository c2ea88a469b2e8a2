"""`scalelab.tune()` beside plain Optuna: parallel speedup and per-trial overhead.

Measured, each on a fresh SQLite RDB storage in a temporary folder (the default storage kind):
- speedup: a deterministic CPU-bound objective (a pure-Python loop of ~0.5 s CPU per trial)
  for 16 trials through `scalelab.tune(n_workers=1)` and `n_workers=2`; wall time of each
  (target on 2 cores: >= 1.7x);
- trial overhead: an objective that returns a constant, N trials through
  `scalelab.tune(n_workers=1)` (one worker process) beside the anchor, plain Optuna in this
  process: `optuna.create_study(storage=<sqlite url>)` then `study.optimize(n_trials=N)`.
  The steady per-trial time of each is the span of its trials in the storage (first start to
  last end) / (N - 1): it leaves out the fixed costs (tune's worker start-up, study creation,
  the supervisor noticing the end, which made a t(2N) - t(N) difference too noisy). The raw
  ratio t(N) / t_plain(N) keeps them. Target for the steady ratio: <= 1.5. The fixed cost is
  the wall time of a 1-trial study.
  Also, to tell costs apart: plain Optuna on the storage exactly as tune() opens it
  (heartbeats, stale-trial retries, BEGIN IMMEDIATE, write-ahead log): what is left between
  that and tune() is ScaleLab's own per-trial work.
Each figure is the best of --repeat rounds that alternate the contenders.

MLflow tracking is off ($MLFLOW_TRACKING_URI removed) so that no run logging skews the trials.

    .venv/bin/python bench/tuning.py [--trials 16] [--overhead-trials 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optuna

import scalelab
from bench._machine import machine
from scalelab.tracking.quiet import NO_TELEMETRY
from scalelab.tuning.storage import Heartbeat, open_storage

os.environ.update(NO_TELEMETRY)
os.environ.pop("MLFLOW_TRACKING_URI", None)  # worker processes inherit this environment

TRIAL_CPU_S = 0.5


def spin(loops: int) -> int:
    """Deterministic pure-Python CPU work."""
    acc = 0
    for i in range(loops):
        acc = (acc * 31 + i) % 1_000_003
    return acc


def calibrate(target: float) -> int:
    """Loops of `spin` taking about `target` seconds of CPU on this machine."""
    loops = 200_000
    while True:
        start = time.process_time()
        spin(loops)
        spent = time.process_time() - start
        if spent > 0.1:
            return int(loops * target / spent)
        loops *= 4


def cpu_objective(loops: int) -> Callable[[optuna.Trial], float]:
    def cpu_bound(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        return (x - 2.0) ** 2 + spin(loops) * 1e-12

    return cpu_bound


def empty(trial: optuna.Trial) -> float:
    return 0.0


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}.sqlite3"


def trial_span(study: optuna.Study) -> float:
    """Seconds from the first trial's start to the last one's end: the trials alone."""
    trials = study.get_trials(deepcopy=False)
    first = min(t.datetime_start for t in trials if t.datetime_start is not None)
    last = max(t.datetime_complete for t in trials if t.datetime_complete is not None)
    return (last - first).total_seconds()


def time_tune(
    folder: Path, name: str, objective: Callable[[optuna.Trial], float], n: int, workers: int
) -> tuple[float, float]:
    """Wall time of one tune() call on a fresh storage, and the span of its trials."""
    url = sqlite_url(folder, name)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # tune() prints one line per trial
        study = scalelab.tune(
            objective,
            n_trials=n,
            n_workers=workers,
            study_name=name,
            storage=url,
            sampler=optuna.samplers.RandomSampler(seed=0),
            executor="local",
        )
    elapsed = time.perf_counter() - start
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert done == n, f"{name}: {done} of {n} trials complete"
    return elapsed, trial_span(study)


def time_plain(
    folder: Path,
    name: str,
    objective: Callable[[optuna.Trial], float],
    n: int,
    heartbeats: bool = False,
) -> tuple[float, float]:
    """Plain Optuna in this process; `heartbeats`: on the RDB storage exactly as tune() opens
    it (heartbeats, stale-trial retries, BEGIN IMMEDIATE), to tell those costs apart."""
    url = sqlite_url(folder, name)
    start = time.perf_counter()
    storage = open_storage(url, Heartbeat()) if heartbeats else url
    study = optuna.create_study(
        storage=storage, study_name=name, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.optimize(objective, n_trials=n)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n
    return elapsed, trial_span(study)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=16, help="CPU-bound trials (speedup)")
    parser.add_argument("--overhead-trials", type=int, default=100, help="N (overhead)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    args = parser.parse_args()
    if args.overhead_trials < 2 or args.trials < 2 or args.repeat < 1:
        parser.error("--trials and --overhead-trials need at least 2, --repeat at least 1")
    # Both sides alike: no per-trial INFO lines (tune's workers set ERROR themselves).
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    loops = calibrate(TRIAL_CPU_S)
    objective = cpu_objective(loops)
    n = args.overhead_trials

    w1, w2, plain_n, hb_n, sl_n, sl_1, plain_1 = ([] for _ in range(7))
    with tempfile.TemporaryDirectory(prefix="scalelab-bench-tuning-") as tmp:
        folder = Path(tmp)
        # Rounds alternate the contenders so that none gets the quieter half of the run.
        for r in range(args.repeat):
            w1.append(time_tune(folder, f"speed-w1-{r}", objective, args.trials, 1))
            w2.append(time_tune(folder, f"speed-w2-{r}", objective, args.trials, 2))
        for r in range(args.repeat):
            plain_1.append(time_plain(folder, f"plain-1-{r}", empty, 1)[0])
            sl_1.append(time_tune(folder, f"sl-1-{r}", empty, 1, 1)[0])
            plain_n.append(time_plain(folder, f"plain-n-{r}", empty, n))
            hb_n.append(time_plain(folder, f"hb-n-{r}", empty, n, heartbeats=True))
            sl_n.append(time_tune(folder, f"sl-n-{r}", empty, n, 1))

    (t1, span1), (t2, span2) = min(w1), min(w2)
    speedup = t1 / t2
    span_speedup = span1 / span2
    plain_raw = min(wall for wall, _ in plain_n) / n
    sl_raw = min(wall for wall, _ in sl_n) / n
    plain_steady = min(span for _, span in plain_n) / (n - 1)
    hb_steady = min(span for _, span in hb_n) / (n - 1)
    sl_steady = min(span for _, span in sl_n) / (n - 1)
    raw_ratio = sl_raw / plain_raw
    # trial_overhead_ratio holds this steady-state ratio: per-trial cost, fixed start-up out.
    steady_ratio = sl_steady / plain_steady
    # Fixed cost: a study of one trial (tune(): storage, worker process start-up and imports,
    # the supervisor's polling), the same for plain Optuna.
    sl_fixed, plain_fixed = min(sl_1), min(plain_1)

    print()
    print(
        f"speedup, {args.trials} CPU-bound trials of ~{TRIAL_CPU_S} s CPU, seconds "
        f"(best of {args.repeat})"
    )
    print(f"  {'':44}{'wall':>10}{'trials':>10}")
    print(f"  {'scalelab.tune, 1 worker':44}{t1:>10.2f}{span1:>10.2f}")
    print(f"  {'scalelab.tune, 2 workers':44}{t2:>10.2f}{span2:>10.2f}")
    print(f"  {'speedup 2 vs 1':44}{speedup:>9.2f}x{span_speedup:>9.2f}x")
    print(
        f"  {'fixed cost (wall - trials), 1 / 2 workers':44}{t1 - span1:>10.2f}{t2 - span2:>10.2f}"
    )
    print(f"  target: wall speedup >= 1.7 ({'met' if speedup >= 1.7 else 'NOT met'})")
    print()
    print(
        f"trial overhead, empty objective, 1 worker, ms per trial (N = {n}, best of {args.repeat})"
    )
    print(f"  {'':44}{'scalelab':>10}{'plain':>10}{'ratio':>8}")
    print(
        f"  {'raw: t(N) / N, start-up included':44}{sl_raw * 1e3:>10.1f}"
        f"{plain_raw * 1e3:>10.1f}{raw_ratio:>7.2f}x"
    )
    print(
        f"  {'steady: span of the trials / (N - 1)':44}{sl_steady * 1e3:>10.1f}"
        f"{plain_steady * 1e3:>10.1f}{steady_ratio:>7.2f}x"
    )
    print(f"  {'fixed cost, s: a study of 1 trial':44}{sl_fixed:>10.2f}{plain_fixed:>10.2f}")
    print(
        f"  {'plain Optuna on the storage as tune() opens it':44}{'':>10}"
        f"{hb_steady * 1e3:>10.1f}{hb_steady / plain_steady:>7.2f}x"
    )
    print(f"  target: steady ratio <= 1.5 ({'met' if steady_ratio <= 1.5 else 'NOT met'})")
    print(f"  machine: {machine()}")
    print(
        json.dumps(
            {
                "benchmark": "tuning",
                "trials": args.trials,
                "trial_cpu_s": TRIAL_CPU_S,
                "tune_1_worker_s": round(t1, 3),
                "tune_2_workers_s": round(t2, 3),
                "tuning_speedup_2v1": round(speedup, 2),
                "trial_span_speedup_2v1": round(span_speedup, 2),
                "overhead_trials": n,
                "scalelab_trial_ms": round(sl_steady * 1e3, 2),
                "plain_trial_ms": round(plain_steady * 1e3, 2),
                "plain_heartbeat_storage_trial_ms": round(hb_steady * 1e3, 2),
                "trial_overhead_ratio": round(steady_ratio, 2),
                "scalelab_trial_ms_with_startup": round(sl_raw * 1e3, 2),
                "plain_trial_ms_with_startup": round(plain_raw * 1e3, 2),
                "trial_overhead_ratio_with_startup": round(raw_ratio, 2),
                "scalelab_fixed_s": round(sl_fixed, 3),
                "plain_fixed_s": round(plain_fixed, 3),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
