"""Per-step cost of a trivial notebook: ScaleLab's executor beside papermill.

Measured, alternating in one run:
- one trivial notebook run N times: ScaleLab's LocalExecutor in-process (as in the service),
  papermill's `execute_notebook` in-process, the papermill CLI, and the `scalelab run` CLI;
- a pipeline of 10 trivial steps in a chain: ScaleLab in-process and `scalelab run`, beside
  papermill running the same 10 notebooks one after the other;
- a burst: 50 runs submitted at once to one executor (2 at a time, 2 warm kernels): how many
  fail, and the peak memory of the whole process tree.

    .venv/bin/python bench/run_overhead.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from bench._machine import machine
from scalelab.runs.executor import LocalExecutor, new_record
from scalelab.runs.plan import make_plan
from scalelab.runs.records import RunFolder

STEPS = 10


def write_trivial(path: Path) -> None:
    nb = new_notebook(
        cells=[
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("y = x + 1\nprint(y)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def write_chain(folder: Path) -> None:
    lines = ["name: chain", "steps:"]
    for i in range(STEPS):
        write_trivial(folder / f"s{i}.ipynb")
        needs = f", needs: [s{i - 1}]" if i else ""
        lines.append(f"  - {{name: s{i}, notebook: s{i}.ipynb{needs}}}")
    (folder / "chain.yaml").write_text("\n".join(lines) + "\n")


class Peak:
    """Peak resident memory of this process and all its descendants, sampled."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total / 2**20)
            time.sleep(0.05)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def scalelab_inprocess(folder: Path, repeat: int) -> tuple[list[float], float, int, float]:
    store = RunFolder(folder / "runs")
    executor = LocalExecutor(store, fresh=True)
    try:
        single = []
        plan = make_plan(folder, "s0.ipynb", {"x": 2})
        await executor.process(new_record(plan), plan)  # warm-up: fork server, pool
        for _ in range(repeat):
            start = time.perf_counter()
            record = await executor.process(new_record(plan), plan)
            single.append(time.perf_counter() - start)
            assert record.status == "succeeded", record.error
        chain = make_plan(folder, "chain.yaml", {})
        start = time.perf_counter()
        record = await executor.process(new_record(chain), chain)
        per_step = (time.perf_counter() - start) / STEPS
        assert record.status == "succeeded", record.error
    finally:
        await executor.close()

    burst_executor = LocalExecutor(store, fresh=True, max_parallel=2, pool_size=2)
    with Peak() as peak:
        plans = [make_plan(folder, "s0.ipynb", {"x": i}) for i in range(50)]
        records = await asyncio.gather(*(burst_executor.process(new_record(p), p) for p in plans))
        await burst_executor.close()
    failures = sum(r.status != "succeeded" for r in records)
    return single, per_step, failures, peak.peak


def papermill_inprocess(folder: Path, repeat: int) -> tuple[list[float], float]:
    import papermill as pm

    out = folder / "pm-out"
    out.mkdir(exist_ok=True)
    pm.execute_notebook(str(folder / "s0.ipynb"), str(out / "warm.ipynb"), progress_bar=False)
    single = []
    for i in range(repeat):
        start = time.perf_counter()
        pm.execute_notebook(
            str(folder / "s0.ipynb"),
            str(out / f"o{i}.ipynb"),
            parameters={"x": 2},
            progress_bar=False,
        )
        single.append(time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(STEPS):
        pm.execute_notebook(
            str(folder / f"s{i}.ipynb"), str(out / f"c{i}.ipynb"), progress_bar=False
        )
    return single, (time.perf_counter() - start) / STEPS


def cli_times(folder: Path, repeat: int) -> tuple[list[float], list[float], float]:
    bin_dir = Path(sys.executable).parent
    papermill, scalelab = [], []
    for i in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [
                str(bin_dir / "papermill"),
                "--no-progress-bar",
                "s0.ipynb",
                f"pm-out/cli{i}.ipynb",
                "-p",
                "x",
                "2",
            ],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        papermill.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(
            [str(bin_dir / "scalelab"), "run", "s0.ipynb", "-p", "x=2", "--fresh", "--quiet"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        scalelab.append(time.perf_counter() - start)
    start = time.perf_counter()
    subprocess.run(
        [str(bin_dir / "scalelab"), "run", "chain.yaml", "--fresh", "--quiet"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return papermill, scalelab, (time.perf_counter() - start) / STEPS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cli-repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
        folder = Path(tmp)
        write_chain(folder)
        # Alternate the two in-process contenders so neither gets the quieter half.
        half = args.repeat // 2
        sl_a, sl_chain, burst_failures, burst_peak = asyncio.run(scalelab_inprocess(folder, half))
        pm_a, pm_chain = papermill_inprocess(folder, half)
        sl_b, sl_chain_b, _, _ = asyncio.run(scalelab_inprocess(folder, args.repeat - half))
        pm_b, pm_chain_b = papermill_inprocess(folder, args.repeat - half)
        pm_cli, sl_cli, sl_cli_chain = cli_times(folder, args.cli_repeat)

    step = statistics.median(sl_a + sl_b)
    pm_step = statistics.median(pm_a + pm_b)
    chain = min(sl_chain, sl_chain_b)
    pm_chain_step = min(pm_chain, pm_chain_b)
    pm_cli_step = statistics.median(pm_cli)
    sl_cli_step = statistics.median(sl_cli)
    speedup = pm_step / step
    print()
    print(f"trivial notebook, seconds per step (median of {args.repeat}; CLI: {args.cli_repeat})")
    print(f"  {'':44}{'ScaleLab':>10}{'papermill':>11}{'ratio':>8}")
    print(f"  {'single run, in-process':44}{step:>10.3f}{pm_step:>11.3f}{speedup:>7.1f}x")
    print(
        f"  {'10-step chain, in-process, per step':44}{chain:>10.3f}{pm_chain_step:>11.3f}"
        f"{pm_chain_step / chain:>7.1f}x"
    )
    print(
        f"  {'single run, command line':44}{sl_cli_step:>10.3f}{pm_cli_step:>11.3f}"
        f"{pm_cli_step / sl_cli_step:>7.1f}x"
    )
    print(f"  {'10-step chain, `scalelab run`, per step':44}{sl_cli_chain:>10.3f}{'':>11}")
    print(
        f"  target: >= 3x faster than in-process papermill ({'met' if speedup >= 3 else 'NOT met'})"
    )
    print(
        f"  burst of 50 runs (2 at a time, 2 warm kernels): {burst_failures} failed, "
        f"peak memory of the process tree {burst_peak:.0f} MB"
    )
    print(f"  machine: {machine()}")
    print(
        json.dumps(
            {
                "benchmark": "run_overhead",
                "step_s": round(step, 4),
                "chain_step_s": round(chain, 4),
                "papermill_inprocess_step_s": round(pm_step, 4),
                "papermill_inprocess_chain_step_s": round(pm_chain_step, 4),
                "papermill_cli_step_s": round(pm_cli_step, 4),
                "scalelab_cli_step_s": round(sl_cli_step, 4),
                "scalelab_cli_chain_step_s": round(sl_cli_chain, 4),
                "speedup_vs_inprocess": round(speedup, 2),
                "burst_failures": burst_failures,
                "burst_peak_rss_mb": round(burst_peak, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
