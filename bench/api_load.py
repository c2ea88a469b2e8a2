"""The service API under load from concurrent clients, beside JupyterHub's own API.

A deployment with 200 users and 100 projects (about 10 members each, some through groups).
N concurrent clients, each a user with their own token, alternate between listing their
projects and reading one project's members, for a fixed time: first flat out (each client
sends again as soon as it has its answer: the saturation throughput), then paced (one request
per client every --interval seconds). The anchor: the same clients asking JupyterHub who they
are (`GET /hub/api/user`), through the same proxy.

    .venv/bin/python bench/api_load.py [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._machine import machine
from tests.hubctl import Hub, make_hub

USERS, PROJECTS, MEMBERS_PER_PROJECT = 200, 100, 10
ROLES = ["viewer", "runner", "editor", "deployer"]


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
    urls_for: dict[str, list[str]],
    tokens: dict[str, str],
    clients: int,
    seconds: float,
    interval: float = 0.0,
) -> tuple[list[float], int, float]:
    """Each client sends its next request as soon as the last answer arrives (interval 0),
    or paced at one request per `interval` seconds, like a person's panel refreshing."""
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
        await asyncio.sleep(interval * i / clients)  # spread the paced clients out
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            if interval:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
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
    parser.add_argument(
        "--interval", type=float, default=0.1, help="seconds between a paced client's requests"
    )
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
            paced = summarize(
                *asyncio.run(load(scalelab_urls, tokens, args.clients, args.seconds, args.interval))
            )
            paced_anchor = summarize(
                *asyncio.run(load(hub_urls, tokens, args.clients, args.seconds, args.interval))
            )
        finally:
            hub.stop()

    print()
    print(
        f"API load: {args.clients} concurrent clients, {args.seconds:.0f}s per run, "
        "through the proxy"
    )
    print(f"  {'':44}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}")
    rows = (
        ("ScaleLab projects + members, flat out", scalelab),
        ("JupyterHub GET /hub/api/user, flat out", anchor),
        (f"ScaleLab, paced 1 req per {args.interval:g}s", paced),
        (f"JupyterHub, paced 1 req per {args.interval:g}s", paced_anchor),
    )
    for label, f in rows:
        print(
            f"  {label:44}{f['requests_per_s']:>8.0f}{f['p50_ms']:>8.1f}{f['p99_ms']:>8.1f}"
            f"{f['errors']:>7.0f}"
        )
    ratio_rps = scalelab["requests_per_s"] / anchor["requests_per_s"]
    ratio_p99 = scalelab["p99_ms"] / anchor["p99_ms"]
    ratio_paced = paced["p99_ms"] / paced_anchor["p99_ms"]
    print(
        f"  ScaleLab / JupyterHub: flat out req/s {ratio_rps:.2f}, p99 {ratio_p99:.2f}; "
        f"paced p99 {ratio_paced:.2f}"
    )
    verdict = {True: "met", False: "NOT met"}
    print(
        f"  target p99 < 50 ms: flat out {verdict[scalelab['p99_ms'] < 50]}, "
        f"paced {verdict[paced['p99_ms'] < 50]}"
    )
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
                "paced_interval_s": args.interval,
                "paced_requests_per_s": round(paced["requests_per_s"], 1),
                "paced_p99_ms": round(paced["p99_ms"], 2),
                "paced_errors": paced["errors"],
                "hub_paced_p99_ms": round(paced_anchor["p99_ms"], 2),
                "ratio_paced_p99": round(ratio_paced, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
