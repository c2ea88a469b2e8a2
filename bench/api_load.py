"""The service API under load from concurrent clients, beside JupyterHub's own API.

A deployment with 200 users and 100 projects (about 10 members each, some through groups).
N concurrent clients, each a user with their own token, alternate between listing their
projects and reading one project's members, for a fixed time. The anchor: the same clients
asking JupyterHub who they are (`GET /hub/api/user`), through the same proxy.

    .venv/bin/python bench/api_load.py [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hubctl import Hub, make_hub

USERS, PROJECTS, MEMBERS_PER_PROJECT = 200, 100, 10
ROLES = ["viewer", "runner", "editor", "deployer"]


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def populate(hub: Hub) -> dict[str, str]:
    """Users, tokens, groups and projects; returns user -> token."""
    names = [f"user{i:03d}" for i in range(USERS)]
    hub.api("POST", "users", json={"usernames": names}).raise_for_status()
    tokens = {name: hub.token_for(name) for name in names}
    for g in range(10):
        group = f"team{g}"
        hub.api("POST", f"groups/{group}").raise_for_status()
        hub.api("POST", f"groups/{group}/users", json={"users": names[g::10]}).raise_for_status()
    rng = random.Random(7)
    session = requests.Session()
    for p in range(PROJECTS):
        owner = names[p % USERS]
        headers = {"Authorization": f"token {tokens[owner]}"}
        slug = f"project-{p:03d}"
        url = hub.service_url + "api/projects"
        session.post(url, json={"slug": slug}, headers=headers, timeout=30).raise_for_status()
        for member in rng.sample(names, MEMBERS_PER_PROJECT - 1):
            if member != owner:
                session.put(
                    f"{url}/{slug}/members/user/{member}",
                    json={"role": rng.choice(ROLES)},
                    headers=headers,
                    timeout=30,
                ).raise_for_status()
        session.put(
            f"{url}/{slug}/members/group/team{p % 10}",
            json={"role": "viewer"},
            headers=headers,
            timeout=30,
        ).raise_for_status()
    return tokens


async def load(
    urls_for: dict[str, list[str]], tokens: dict[str, str], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    users = list(tokens)
    deadline = time.perf_counter() + seconds

    async def client(i: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        user = users[i % len(users)]
        headers = {"Authorization": f"token {tokens[user]}"}
        urls = urls_for[user]
        n = 0
        while time.perf_counter() < deadline:
            url = urls[n % len(urls)]
            n += 1
            start = time.perf_counter()
            try:
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - start)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, session) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def summarize(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests_per_s": len(ordered) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
        hub = make_hub(Path(tmp))
        hub.start()
        try:
            started = time.perf_counter()
            tokens = populate(hub)
            print(
                f"populated {USERS} users, {PROJECTS} projects in "
                f"{time.perf_counter() - started:.0f}s",
                file=sys.stderr,
            )
            scalelab_urls: dict[str, list[str]] = {}
            for user, token in tokens.items():
                mine = requests.get(
                    hub.service_url + "api/projects",
                    timeout=30,
                    headers={"Authorization": f"token {token}"},
                ).json()
                slugs = [p["slug"] for p in mine["projects"]] or ["none"]
                scalelab_urls[user] = [hub.service_url + "api/projects"] + [
                    hub.service_url + f"api/projects/{s}/members" for s in slugs[:3]
                ]
                scalelab_urls[user] = [
                    u
                    for pair in zip(
                        [scalelab_urls[user][0]] * 3, scalelab_urls[user][1:], strict=False
                    )
                    for u in pair
                ] or scalelab_urls[user]
            hub_urls = {user: [hub.url + "hub/api/user"] for user in tokens}
            # Warm both paths (token caches), then measure, alternating order.
            asyncio.run(load(scalelab_urls, tokens, args.clients, 3))
            asyncio.run(load(hub_urls, tokens, args.clients, 3))
            scalelab = summarize(
                *asyncio.run(load(scalelab_urls, tokens, args.clients, args.seconds))
            )
            anchor = summarize(*asyncio.run(load(hub_urls, tokens, args.clients, args.seconds)))
        finally:
            hub.stop()

    print()
    print(
        f"API load: {args.clients} concurrent clients, {args.seconds:.0f}s each, through the proxy"
    )
    print(f"  {'':34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, figures in (
        ("ScaleLab projects + members", scalelab),
        ("JupyterHub GET /hub/api/user", anchor),
    ):
        print(
            f"  {label:34}{figures['requests_per_s']:>9.0f}{figures['p50_ms']:>9.1f}"
            f"{figures['p99_ms']:>9.1f}{figures['errors']:>8.0f}"
        )
    ratio_rps = scalelab["requests_per_s"] / anchor["requests_per_s"]
    ratio_p99 = scalelab["p99_ms"] / anchor["p99_ms"]
    print(f"  ratio ScaleLab/JupyterHub: req/s {ratio_rps:.2f}, p99 {ratio_p99:.2f}")
    print(f"  target: p99 < 50 ms ({'met' if scalelab['p99_ms'] < 50 else 'NOT met'})")
    print(f"  machine: {machine()}")
    print(
        json.dumps(
            {
                "benchmark": "api_load",
                "clients": args.clients,
                "seconds": args.seconds,
                "requests_per_s": round(scalelab["requests_per_s"], 1),
                "p50_ms": round(scalelab["p50_ms"], 2),
                "p99_ms": round(scalelab["p99_ms"], 2),
                "errors": scalelab["errors"],
                "hub_requests_per_s": round(anchor["requests_per_s"], 1),
                "hub_p99_ms": round(anchor["p99_ms"], 2),
                "ratio_requests_per_s": round(ratio_rps, 3),
                "ratio_p99": round(ratio_p99, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
