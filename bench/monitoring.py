"""Monitoring through ScaleLab: profiling, drift, and the request log's cost on serving p99.

- Profiling: --rows rows x 20 columns (10 floats, normal; 5 ints, 0 to 999; 5 strings of 20
  categories, pandas 3's str dtype) through `scalelab.monitoring.profile(df)` beside the
  anchor, whylogs called directly as its documentation shows, `why.log(df).view()` (with the
  same numpy-2 aliases, without which whylogs 1.6.4 cannot profile at all). ScaleLab hands
  whylogs the rows in slices of 131,072 to bound its copies. Best of --repeat rounds that
  alternate the two; profile_overhead_ratio = ScaleLab / whylogs (target <= 1.10). For
  information: building the typed column summaries (done on first use, not when profiling),
  and the profile's size stored.
- Drift: 100 columns (70 numbers, 30 categories of 10 values), --drift-rows rows each in a
  reference and a current batch; every third column moved (numbers shifted by 0.05 to 0.6
  standard deviations, category shares mixed with even shares by 10 % to 60 %). Both batches
  are profiled and written to files. drift_report_100_cols_s: reading both profiles from their
  files and `drift_report` on them (best of --repeat; target < 2 s). The anchor,
  anchor_drift_s: the same drift from the raw rows with scipy, what a team without profiles
  would run: `scipy.stats.ks_2samp` per number column, `scipy.stats.chi2_contingency` on the
  value counts per category column. (Evidently, the usual tool for this, is not installed.)
  Also: `quality_issues` on the same profiles, and how the verdicts from sketches agree with
  those from scipy's figures under the same thresholds.
- Request logging: request logging's cost on serving p99. A real JupyterHub with its proxy and
  the ScaleLab service, and bench/serving.py's model (a 50-tree random forest, logged to the
  project's MLflow, registered once) deployed on --serving-workers replicas (min = max),
  called through the hub's proxy with a hub token by bench/_load.py: --serving-concurrency
  connections in a closed loop, one row per request, the same 64 bodies in turn. The same
  endpoint alternates its request log on (request_log_rate = 1.0: every answered prediction
  logged) and off (0), switched by PATCHing the deployment, for --serving-rounds rounds a
  side of --serving-seconds each (after --serving-warmup s; one unmeasured 4 s round first),
  in the order on, off, off, on, on, off, ... request_logging_p99_ratio = the median of the
  rounds' p99s with the log on / that with it off (target < 1.05). Also: requests/s and p50
  (medians of the rounds), the service's CPU time per answer, the lines the request log gained
  (all requests of the on rounds, warm-ups included; none in the off ones), and the cores
  the rest of the machine kept busy in each round. --no-serving skips this part (and its
  keys in the JSON line).

    .venv/bin/python bench/monitoring.py [--rows 1000000] [--drift-rows 100000] [--repeat 3]
        [--serving-seconds 8] [--serving-rounds 3] [--no-serving]
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from scipy import stats

from bench._machine import machine
from bench.serving import (
    ENDPOINT,
    MODEL,
    SLUG,
    USER,
    Api,
    Target,
    closed_round,
    deploy,
    hub_at,
    percentile,
    scalelab_kind,
    train_and_log,
)
from scalelab.monitoring import (
    DriftThresholds,
    Profile,
    _compat,
    drift_report,
    profile,
    quality_issues,
)
from scalelab.monitoring.drift import categories, category

_compat.apply()  # the anchor calls whylogs itself, so it needs the aliases too

import whylogs as why  # noqa: E402  (the anchor; ScaleLab imports it in monitoring.profiles only)

NUMBERS, CATEGORIES = 70, 30
SHIFTS = (0.05, 0.15, 0.3, 0.6)  # standard deviations
MIXES = (0.1, 0.3, 0.6)  # share of even shares mixed into a moved category column
VALUES = np.array([f"value-{i}" for i in range(10)])


def wide_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = np.array([f"cat-{i}" for i in range(20)])
    columns: dict[str, Any] = {}
    for i in range(10):
        columns[f"f{i}"] = rng.normal(size=rows)
    for i in range(5):
        columns[f"i{i}"] = rng.integers(0, 1000, size=rows)
    for i in range(5):
        columns[f"s{i}"] = pd.array(cats[rng.integers(0, 20, size=rows)], dtype="str")
    return pd.DataFrame(columns)


def drift_frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a current batch; every third column of the current one moved."""
    rng = np.random.default_rng(seed)
    zipf = 1.0 / np.arange(1, 11)
    zipf /= zipf.sum()
    ref: dict[str, Any] = {}
    cur: dict[str, Any] = {}
    for i in range(NUMBERS):
        shift = SHIFTS[(i // 3) % len(SHIFTS)] if i % 3 == 0 else 0.0
        ref[f"n{i:02d}"] = rng.normal(0.0, 1.0, rows)
        cur[f"n{i:02d}"] = rng.normal(shift, 1.0, rows)
    for i in range(CATEGORIES):
        mix = MIXES[(i // 3) % len(MIXES)] if i % 3 == 0 else 0.0
        shares = (1 - mix) * zipf + mix / 10
        ref[f"c{i:02d}"] = pd.array(rng.choice(VALUES, size=rows, p=zipf), dtype="str")
        cur[f"c{i:02d}"] = pd.array(rng.choice(VALUES, size=rows, p=shares), dtype="str")
    return pd.DataFrame(ref), pd.DataFrame(cur)


def timed(f: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = f()
    return time.perf_counter() - start, result


def scipy_drift(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, tuple[str, float, float]]:
    """The anchor: (method, score, p-value) per column from the raw rows."""
    out: dict[str, tuple[str, float, float]] = {}
    for name in ref.columns:
        if name.startswith("n"):
            result = stats.ks_2samp(ref[name].to_numpy(), cur[name].to_numpy())
            out[name] = ("ks", float(result.statistic), float(result.pvalue))
        else:
            table = pd.concat([ref[name].value_counts(), cur[name].value_counts()], axis=1)
            observed = table.fillna(0).to_numpy().T
            chi2, p, _, _ = stats.chi2_contingency(observed, correction=False)
            out[name] = ("chi-square", float(np.sqrt(chi2 / observed.sum())), float(p))
    return out


def bench_profiling(rows: int, repeat: int) -> dict[str, float]:
    df = wide_frame(rows, seed=0)
    profile(df.iloc[:1000])  # both sides warm: whylogs imported, its resolvers built
    why.log(df.iloc[:1000]).view()
    contenders: list[tuple[str, Callable[[], Any]]] = [
        ("direct", lambda: why.log(df).view()),
        ("ours", lambda: profile(df)),
    ]
    best: dict[str, float] = {}
    for r in range(repeat):  # alternating, and which goes first too
        for name, run in contenders if r % 2 == 0 else contenders[::-1]:
            best[name] = min(best.get(name, float("inf")), timed(run)[0])
    wide = profile(df)
    summaries_s, _ = timed(lambda: wide.columns)
    return {**best, "summaries": summaries_s, "bytes": len(wide.to_bytes())}


def bench_drift(rows: int, repeat: int) -> dict[str, Any]:
    t = DriftThresholds()
    ref_df, cur_df = drift_frames(rows, seed=1)
    profiling_s, (ref_p, cur_p) = timed(lambda: (profile(ref_df), profile(cur_df)))
    report_s, quality_s, anchor_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="scalelab-bench-monitoring-") as tmp:
        ref_path, cur_path = Path(tmp) / "reference.bin", Path(tmp) / "current.bin"
        ref_p.write(ref_path)
        cur_p.write(cur_path)
        stored = ref_path.stat().st_size + cur_path.stat().st_size
        for _ in range(repeat):
            seconds, report = timed(
                lambda: drift_report(Profile.read(ref_path), Profile.read(cur_path), t)
            )
            report_s.append(seconds)
            seconds, issues = timed(
                lambda: quality_issues(Profile.read(ref_path), Profile.read(cur_path))
            )
            quality_s.append(seconds)
            seconds, anchor = timed(lambda: scipy_drift(ref_df, cur_df))
            anchor_s.append(seconds)
    ours = {d.column: d for d in report}
    agree = sum(
        ours[name].category == category(method, score, p, t)  # type: ignore[arg-type]
        for name, (method, score, p) in anchor.items()
    )

    def gap(kind: str) -> float:
        return max(
            abs((ours[name].score or 0.0) - score)
            for name, (method, score, _) in anchor.items()
            if method == kind
        )

    return {
        "profiling": profiling_s,
        "report": min(report_s),
        "quality": min(quality_s),
        "anchor": min(anchor_s),
        "stored": stored,
        "counts": categories(report),
        "agree": agree,
        "columns": len(anchor),
        "ks_gap": gap("ks"),
        "v_gap": gap("chi-square"),
        "issues": len(issues),
    }


def log_lines(folder: Path) -> int:
    """Lines in an endpoint's request log, all its files."""
    return sum(f.read_bytes().count(b"\n") for f in folder.glob("*.jsonl"))


def bench_request_logging(
    workers: int, concurrency: int, seconds: float, warmup: float, rounds: int
) -> dict[str, Any]:
    """The same endpoint, closed loop, its request log on (rate 1.0) and off (0) in turn."""
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="scalelab-bench-monitoring-") as tmp,
        hub_at(Path(tmp) / "data") as hub,
    ):
        root = Path(tmp)
        token = hub.token_for(USER)
        api = Api(hub, token)
        api.ok("POST", "api/projects", 201, json={"slug": SLUG})
        run_id, rows, columns = train_and_log(hub, token)
        register = {"run_id": run_id, "name": MODEL}
        api.ok("POST", f"api/projects/{SLUG}/models", 201, json=register)
        deploy(api, workers, request_log_rate=0.0)
        setup_s = time.monotonic() - began
        bodies = root / "bodies.json"
        documents = [{"dataframe_split": {"columns": columns, "data": [row]}} for row in rows]
        bodies.write_text(json.dumps(documents))
        assert hub.process is not None
        url = hub.service_url + f"serve/{SLUG}/{ENDPOINT}/invocations"
        target = Target(
            "ScaleLab, hub token",
            url,
            {"Authorization": f"token {token}"},
            roots=[hub.process.pid],
            kinds=scalelab_kind,
        )
        (models,) = (hub.data_root / "serving").glob(f"*/models/{MODEL}")
        log = models.parents[1] / "requests" / ENDPOINT  # the deployer's log_folder

        def set_rate(rate: float) -> None:
            path = f"api/projects/{SLUG}/deployments/{ENDPOINT}"
            found = api.ok("PATCH", path, 200, json={"request_log_rate": rate})
            if found["request_log_rate"] != rate:
                raise RuntimeError(f"request_log_rate is {found['request_log_rate']}, not {rate}")

        rates = {"on": 1.0, "off": 0.0}
        closed_round(target, bodies, root, concurrency, warmup, 4.0)  # unmeasured, log off
        time.sleep(1.0)
        p99s: dict[str, list[float]] = {"on": [], "off": []}
        p50s: dict[str, list[float]] = {"on": [], "off": []}
        rps: dict[str, list[float]] = {"on": [], "off": []}
        service_cpu: dict[str, list[float]] = {"on": [], "off": []}
        others: dict[str, list[float]] = {"on": [], "off": []}
        answers: dict[str, int] = {"on": 0, "off": 0}
        non2xx: dict[str, int] = {"on": 0, "off": 0}
        lines: dict[str, int] = {"on": 0, "off": 0}
        for r in range(rounds):
            for side in ("on", "off") if r % 2 == 0 else ("off", "on"):
                set_rate(rates[side])
                before = log_lines(log)
                records, spent, cpu = closed_round(
                    target, bodies, root, concurrency, warmup, seconds
                )
                time.sleep(1.5)  # the log writes every 0.5 s; also a pause between rounds
                lines[side] += log_lines(log) - before
                latencies = records.latencies()
                if not latencies:
                    raise RuntimeError(f"no answer in a round with the log {side}")
                p99s[side].append(percentile(latencies, 0.99))
                p50s[side].append(percentile(latencies, 0.50))
                rps[side].append(len(latencies) / spent)
                service_cpu[side].append(1000 * cpu.by_kind.get("service", 0.0) / len(latencies))
                others[side].append(cpu.others_cores)
                answers[side] += len(latencies)
                non2xx[side] += records.non2xx()
    return {
        "setup": setup_s,
        "p99": {side: statistics.median(v) for side, v in p99s.items()},
        "p99s": p99s,
        "p50": {side: statistics.median(v) for side, v in p50s.items()},
        "rps": {side: statistics.median(v) for side, v in rps.items()},
        "service_cpu_ms": {side: statistics.median(v) for side, v in service_cpu.items()},
        "others": others,
        "answers": answers,
        "non2xx": non2xx,
        "lines": lines,
        "seconds": time.monotonic() - began,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows profiled (x 20 columns)")
    parser.add_argument("--drift-rows", type=int, default=100_000, help="rows per drift batch")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument(
        "--serving-seconds", type=float, default=8.0, help="request logging: seconds per round"
    )
    parser.add_argument(
        "--serving-rounds", type=int, default=3, help="request logging: rounds a side (on, off)"
    )
    parser.add_argument(
        "--serving-warmup", type=float, default=1.0, help="request logging: s before each round"
    )
    parser.add_argument(
        "--serving-concurrency", type=int, default=16, help="request logging: connections"
    )
    parser.add_argument("--serving-workers", type=int, default=2, help="request logging: replicas")
    parser.add_argument(
        "--no-serving", action="store_true", help="skip request logging (no hub started)"
    )
    args = parser.parse_args()
    if args.rows < 1 or args.drift_rows < 10 or args.repeat < 1:
        parser.error("--rows needs at least 1, --drift-rows 10, --repeat 1")
    if (
        args.serving_seconds <= 0
        or args.serving_rounds < 1
        or args.serving_warmup < 0
        or args.serving_concurrency < 1
        or args.serving_workers < 1
    ):
        parser.error("--serving-seconds, -rounds, -concurrency and -workers need to be positive")
    # A SIGTERM ends the benchmark as Ctrl-C does: through the clean-ups (the hub stopped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.perf_counter()
    p = bench_profiling(args.rows, args.repeat)
    gc.collect()
    d = bench_drift(args.drift_rows, args.repeat)
    gc.collect()
    s = None
    if not args.no_serving:
        s = bench_request_logging(
            args.serving_workers,
            args.serving_concurrency,
            args.serving_seconds,
            args.serving_warmup,
            args.serving_rounds,
        )
    ratio = p["ours"] / p["direct"]

    print()
    print(f"profiling, {args.rows:,} rows x 20 columns, seconds (best of {args.repeat})")
    print(f"  {'whylogs directly: why.log(df).view()':52}{p['direct']:>9.2f}")
    print(f"  {'ScaleLab: profile(df)':52}{p['ours']:>9.2f}{ratio:>8.2f}x")
    print(f"  {'  then its 20 typed column summaries':52}{p['summaries']:>9.3f}")
    print(f"  {'  stored, bytes':52}{p['bytes']:>9,}")
    print(f"  target: overhead ratio <= 1.10 ({'met' if ratio <= 1.10 else 'NOT met'})")
    print()
    print(
        f"drift, {NUMBERS + CATEGORIES} columns ({NUMBERS} numbers, {CATEGORIES} categories), "
        f"{args.drift_rows:,} rows a side, seconds (best of {args.repeat})"
    )
    print(f"  {'profiling both sides (once)':52}{d['profiling']:>9.2f}")
    print(f"  {'ScaleLab: read both profiles + drift_report':52}{d['report']:>9.3f}")
    print(f"  {'ScaleLab: read both profiles + quality_issues':52}{d['quality']:>9.3f}")
    print(f"  {'anchor: scipy on the raw rows (ks_2samp, chi2)':52}{d['anchor']:>9.3f}")
    print(f"  {'  ratio anchor / ScaleLab':52}{d['anchor'] / d['report']:>8.1f}x")
    print(f"  {'stored profiles, bytes (both)':52}{d['stored']:>9,}")
    print(f"  verdicts: {', '.join(f'{n} {c}' for c, n in d['counts'].items())}")
    print(
        f"  same verdict as from scipy's figures, same thresholds: {d['agree']} of "
        f"{d['columns']}; largest gap in KS D {d['ks_gap']:.4f}, in Cramer's V {d['v_gap']:.4f}"
    )
    print(f"  quality issues: {d['issues']}")
    print(f"  target: drift report < 2 s ({'met' if d['report'] < 2 else 'NOT met'})")
    serving: dict[str, Any] = {}
    if s is not None:
        log_ratio = s["p99"]["on"] / s["p99"]["off"]
        print()
        print(
            f"request logging, through the hub's proxy: {args.serving_workers} replicas, "
            f"{args.serving_concurrency} connections flat out, 1 row per request, "
            f"{args.serving_rounds} x {args.serving_seconds:g} s a side, alternating "
            "(median of the rounds)"
        )
        print(
            f"  {'':28}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'non-2xx':>8}"
            f"{'service':>9}{'logged':>8}  p99 ms by round (others' load, cores)"
        )
        for side, label in (("off", "request log off (rate 0)"), ("on", "request log on (rate 1)")):
            by_round = ", ".join(
                f"{v:.1f} ({cores:.2f})"
                for v, cores in zip(s["p99s"][side], s["others"][side], strict=True)
            )
            print(
                f"  {label:28}{s['rps'][side]:8.0f}{s['p50'][side]:8.1f}{s['p99'][side]:8.1f}"
                f"{s['non2xx'][side]:8d}{s['service_cpu_ms'][side]:9.2f}{s['lines'][side]:8d}"
                f"  {by_round}"
            )
        print(
            "  (service: its CPU ms per answer; logged: lines the request log gained, "
            f"warm-ups included, for {s['answers']['on']} answers measured with it on; "
            "others: cores kept busy by processes not this benchmark's)"
        )
        print(f"  {'  ratio on / off, p99':52}{log_ratio:>8.2f}x")
        met = "met" if log_ratio < 1.05 else "NOT met"
        print(f"  target: request_logging_p99_ratio < 1.05 ({met})")
        print(f"  set-up (hub, model, endpoint) {s['setup']:.0f} s, in all {s['seconds']:.0f} s")
        serving = {
            "serving_workers": args.serving_workers,
            "serving_concurrency": args.serving_concurrency,
            "serving_rounds": args.serving_rounds,
            "serving_seconds": args.serving_seconds,
            "request_log_off_p99_ms": round(s["p99"]["off"], 2),
            "request_log_on_p99_ms": round(s["p99"]["on"], 2),
            "request_logging_p99_ratio": round(log_ratio, 3),
            "request_log_off_p50_ms": round(s["p50"]["off"], 2),
            "request_log_on_p50_ms": round(s["p50"]["on"], 2),
            "request_log_off_rps": round(s["rps"]["off"], 1),
            "request_log_on_rps": round(s["rps"]["on"], 1),
            "request_log_off_service_cpu_ms": round(s["service_cpu_ms"]["off"], 3),
            "request_log_on_service_cpu_ms": round(s["service_cpu_ms"]["on"], 3),
            "request_log_lines_on": s["lines"]["on"],
            "request_log_lines_off": s["lines"]["off"],
        }
    print(f"  whole benchmark: {time.perf_counter() - began:.0f} s")
    print(f"  machine: {machine()}")
    print(
        json.dumps(
            {
                "benchmark": "monitoring",
                "whylogs": why.__version__,
                "rows": args.rows,
                "columns": 20,
                "whylogs_profile_s": round(p["direct"], 3),
                "scalelab_profile_s": round(p["ours"], 3),
                "profile_overhead_ratio": round(ratio, 3),
                "column_summaries_s": round(p["summaries"], 4),
                "profile_bytes": p["bytes"],
                "drift_rows": args.drift_rows,
                "drift_columns": NUMBERS + CATEGORIES,
                "drift_profiling_s": round(d["profiling"], 3),
                "drift_report_100_cols_s": round(d["report"], 4),
                "quality_issues_100_cols_s": round(d["quality"], 4),
                "anchor_drift_s": round(d["anchor"], 3),
                "drift_categories": d["counts"],
                "verdicts_agreeing_with_anchor": d["agree"],
                "ks_max_gap_vs_anchor": round(d["ks_gap"], 4),
                "cramers_v_max_gap_vs_anchor": round(d["v_gap"], 4),
                **serving,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
