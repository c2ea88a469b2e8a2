"""The hub killed outright (SIGKILL): its service goes too, and the next start recovers."""

from __future__ import annotations

import os
import signal
from contextlib import suppress
from pathlib import Path

import pytest
import requests

from tests.hubctl import make_hub
from tests.waiting import wait_until

pytestmark = pytest.mark.hub


def alive(pid: int) -> bool:
    """Whether pid runs; an exited orphan may stay a zombie until whoever adopted it reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def processes_of(data_root: Path) -> list[int]:
    """Processes of this deployment: the hub passes the data root into all their environments."""
    marker = str(data_root).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with suppress(OSError):
            if marker in (proc / "environ").read_bytes() and alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def test_after_a_killed_hub_the_next_start_recovers(tmp_path: Path) -> None:
    hub = make_hub(tmp_path)
    try:
        hub.start()
        alice = {"Authorization": f"token {hub.token_for('alice')}"}
        hub.start_server("alice")
        [service] = hub.service_pids()
        proxy = int((tmp_path / "hub" / "proxy.pid").read_text())
        assert hub.process is not None
        hub.process.send_signal(signal.SIGKILL)
        hub.process.wait(10)
        hub.process = None

        # The orphaned service notices the hub is gone and stops; until then it cannot check
        # tokens, and says so with 503 rather than failing with 500.
        health = f"http://127.0.0.1:{hub.ports['service_port']}/services/scalelab/api/health"
        answers = []

        def service_gone() -> bool:
            if not alive(service):
                return True
            with suppress(requests.ConnectionError):
                answers.append(requests.get(health, headers=alice, timeout=5).status_code)
            return False

        wait_until(
            service_gone, 15, 0.2, lambda: f"orphaned service still runs; answered {answers}"
        )
        assert set(answers) <= {503}, answers

        log_before_restart = len(hub.log())
        hub.start()

        def service_up() -> requests.Response | None:
            with suppress(requests.ConnectionError):
                r = requests.get(hub.service_url + "api/health", headers=alice, timeout=5)
                if r.status_code == 200:
                    return r
            return None

        r = wait_until(service_up, 30, 0.3, lambda: hub.log()[-3000:])
        assert r.json()["status"] == "ok"
        [new_service] = hub.service_pids()
        assert new_service != service
        # The new hub replaced the orphaned proxy (its pid file) and took alice's server back.
        assert not alive(proxy)
        status = requests.get(hub.url + "user/alice/api/status", headers=alice, timeout=30)
        assert status.status_code == 200, status.text
        restart_log = hub.log()[log_before_restart:]
        assert "in use" not in restart_log
        assert "Service scalelab exited" not in restart_log
    finally:
        hub.stop()
        # A SIGKILLed hub cannot stop what it started in sessions of their own: whatever is
        # left now is a leak this test must not pass on to the next one.
        leftovers = processes_of(tmp_path)
        for pid in leftovers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert leftovers == []
    assert hub.leftover_ports() == []
