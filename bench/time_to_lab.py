"""Time from submitting the login form to a loaded JupyterLab, with and without ScaleLab.

Two deployments from the same hub configuration run side by side; in the plain one the users'
servers start without ScaleLab's server extension, lab extension and kernel environment. Each
round logs in once on each (alternating which goes first), with a fresh browser context and no
running server, so the time includes spawning the server, as a person's first visit of the day.

    .venv/bin/python bench/time_to_lab.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, sync_playwright

from bench._machine import machine
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.hubctl import Hub, chromium_path, make_hub

PLAIN_CONFIG = """
import os
c.Spawner.args = ['--ServerApp.jpserver_extensions={"scalelab": False}']
if os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")
c.Spawner.environment = {"JUPYTER_CONFIG_DIR": %r}
"""


def time_to_lab(browser: Browser, hub: Hub, user: str) -> float:
    hub.stop_server(user)
    time.sleep(1.0)  # let the stopped server's process exit before timing the next spawn
    context = browser.new_context()
    page = context.new_page()
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.accounts[user])
    start = time.perf_counter()
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=120_000)
    page.wait_for_selector(".jp-SideBar .lm-TabBar-tab", timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
        root = Path(tmp)
        plain_config_dir = root / "plain-jupyter-config"
        (plain_config_dir / "labconfig").mkdir(parents=True)
        (plain_config_dir / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"scalelab": True}})
        )
        (root / "plain").mkdir()
        (root / "scalelab").mkdir()
        hubs = {
            "scalelab": make_hub(root / "scalelab"),
            "plain": make_hub(root / "plain", extra_config=PLAIN_CONFIG % str(plain_config_dir)),
        }
        for hub in hubs.values():
            hub.start()
        times: dict[str, list[float]] = {"scalelab": [], "plain": []}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                # One warm-up each: the first spawn pays for cold disk caches.
                for hub in hubs.values():
                    time_to_lab(browser, hub, "alice")
                for round_ in range(args.rounds):
                    order = ["scalelab", "plain"] if round_ % 2 == 0 else ["plain", "scalelab"]
                    for name in order:
                        times[name].append(time_to_lab(browser, hubs[name], "alice"))
                    print(
                        f"round {round_ + 1}/{args.rounds}: scalelab {times['scalelab'][-1]:.2f}s"
                        f"  plain {times['plain'][-1]:.2f}s",
                        file=sys.stderr,
                    )
                browser.close()
        finally:
            for hub in hubs.values():
                hub.stop()

    scalelab = statistics.median(times["scalelab"])
    plain = statistics.median(times["plain"])
    ratio = scalelab / plain
    print()
    print(f"time to lab, median of {args.rounds} (login submit -> JupyterLab loaded, incl. spawn)")
    print(f"  {'':24}{'ScaleLab':>10}{'plain':>10}{'ratio':>8}")
    print(f"  {'seconds':24}{scalelab:>10.2f}{plain:>10.2f}{ratio:>8.2f}")
    print(f"  target: ratio <= 1.10  ({'met' if ratio <= 1.10 else 'NOT met'})")
    print(f"  machine: {machine()}")
    print(
        json.dumps(
            {
                "benchmark": "time_to_lab",
                "rounds": args.rounds,
                "time_to_lab_s": round(scalelab, 3),
                "time_to_lab_plain_s": round(plain, 3),
                "ratio": round(ratio, 3),
                "samples_s": {k: [round(v, 3) for v in vs] for k, vs in times.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
