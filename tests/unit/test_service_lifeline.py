"""The service without its hub: it stops with the hub, answers 503 meanwhile, waits for its port."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import requests
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from scalelab.service.app import ScaleLab
from scalelab.service.lifeline import bind_waiting
from tests.hubctl import free_port
from tests.waiting import wait_until


def held_port() -> tuple[socket.socket, int]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, int(s.getsockname()[1])


@pytest.fixture
def no_hub_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A hub API address where nothing listens, as after the hub was killed."""
    for name in list(os.environ):
        if name.startswith(("JUPYTERHUB_", "SCALELAB_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{free_port()}/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "0" * 32)
    ScaleLab.clear_instance()
    yield dict(os.environ)
    ScaleLab.clear_instance()


def test_callers_get_503_while_the_hub_does_not_answer(tmp_path: Path, no_hub_env: dict) -> None:
    app = ScaleLab()
    app.initialize([f"--data-root={tmp_path}"])

    async def call() -> tuple[int, bytes]:
        [sock] = bind_sockets(0, "127.0.0.1")
        server = HTTPServer(app.make_app())
        server.add_sockets([sock])
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/services/scalelab/api/health"
        try:
            r = await AsyncHTTPClient().fetch(
                url, headers={"Authorization": "token abc"}, raise_error=False
            )
        finally:
            server.stop()
        return r.code, r.body

    try:
        code, body = asyncio.run(call())
    finally:
        app.store.dispose()
    assert code == 503
    message = json.loads(body)["message"]
    assert "JupyterHub does not answer" in message
    assert "try again" in message


def test_waits_for_a_port_that_another_process_releases() -> None:
    holder, port = held_port()
    threading.Timer(0.8, holder.close).start()
    started = time.monotonic()
    sockets = bind_waiting(port, "127.0.0.1", 10)
    assert 0.5 < time.monotonic() - started < 5
    for s in sockets:
        s.close()


def service_command(tmp_path: Path, port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scalelab.service",
        f"--data-root={tmp_path}",
        f"--port={port}",
        *extra,
    ]


def test_exits_with_one_clear_line_when_the_port_stays_taken(
    tmp_path: Path, no_hub_env: dict
) -> None:
    holder, port = held_port()
    with holder:
        done = subprocess.run(
            service_command(tmp_path, port, "--ScaleLab.port_wait=0.5"),
            env=no_hub_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Port {port} on 127.0.0.1 is still taken" in done.stderr


def test_stops_when_the_process_that_started_it_is_killed(tmp_path: Path, no_hub_env: dict) -> None:
    port = free_port()
    env = {**no_hub_env, "JUPYTERHUB_SERVICE_NAME": "scalelab"}  # as a hub-managed service
    # A stand-in for the hub: starts the service in a session of its own, as JupyterHub does.
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            f"p = subprocess.Popen({service_command(tmp_path, port)!r}, start_new_session=True)\n"
            "print(p.pid, flush=True)\n"
            "time.sleep(300)\n",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    service = int(starter.stdout.readline())
    try:
        health = f"http://127.0.0.1:{port}/services/scalelab/api/health"

        def answers() -> bool:
            with suppress(requests.ConnectionError):
                return requests.get(health, timeout=5).status_code == 401
            return False

        wait_until(answers, 60, 0.2, "service did not start")
        starter.kill()
        starter.wait(10)
        wait_until(
            lambda: not _alive(service), 10, 0.2, "service outlived the process that started it"
        )
    finally:
        starter.kill()
        starter.wait(10)
        with suppress(ProcessLookupError):
            os.kill(service, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # an unreaped orphan is not running
