"""A real JupyterHub with its proxy: password login, spawning, the lab reaching the service."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.hubctl import Hub, running_hub

pytestmark = pytest.mark.hub


def test_login_checks_the_password(hub: Hub) -> None:
    with pytest.raises(PermissionError):
        hub.login("alice", "wrong-password")
    with pytest.raises(PermissionError):
        hub.login("mallory", "anything")
    session = hub.login("alice")
    r = session.get(
        hub.url + "hub/api/user",
        timeout=30,
        headers={"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""},
    )
    assert r.status_code == 200 and r.json()["name"] == "alice"


def test_passwords_are_stored_hashed(hub: Hub) -> None:
    import sqlite3

    db = sqlite3.connect(hub.data_root / "hub" / "jupyterhub.sqlite")
    rows = dict(db.execute("SELECT username, password FROM users_info").fetchall())
    db.close()
    assert set(rows) >= {"admin", "alice", "bob"}
    for name, stored in rows.items():
        assert stored.startswith(b"$2b$"), "bcrypt hash expected"
        assert hub.accounts[name].encode() not in stored


def test_spawned_lab_forwards_to_the_service_as_its_user(hub: Hub) -> None:
    hub.start_server("alice")
    try:
        token = hub.token_for("alice")
        headers = {"Authorization": f"token {token}"}
        base = hub.url + "user/alice/"
        r = requests.get(base + "scalelab/api/me", headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "alice"
        health = requests.get(base + "scalelab/api/health", headers=headers, timeout=30).json()
        assert health["status"] == "ok"
        # An error from the service comes back through the server as the service's JSON.
        missing = requests.get(base + "scalelab/api/nowhere", headers=headers, timeout=30)
        assert missing.status_code == 404 and "no such endpoint" in missing.json()["message"]
        # Without credentials: the user's server refuses, and so does the service.
        assert requests.get(base + "scalelab/api/me", timeout=30).status_code in (302, 403)
        assert requests.get(hub.service_url + "api/me", timeout=30).status_code == 401
        # Another user's token does not open alice's server.
        bob = {"Authorization": f"token {hub.token_for('bob')}"}
        assert requests.get(base + "scalelab/api/me", headers=bob, timeout=30).status_code == 403
        # The ScaleLab kernel is offered in the lab.
        specs = requests.get(base + "api/kernelspecs", headers=headers, timeout=30).json()
        assert "scalelab" in specs["kernelspecs"]
    finally:
        hub.stop_server("alice")


def _descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_stopping_the_hub_stops_every_process_it_started(tmp_path: Path) -> None:
    # Also shows that c.ScaleLab settings in the hub configuration reach the service process.
    with running_hub(tmp_path, extra_config="\nc.ScaleLab.max_body_size = 1000\n") as hub:
        token = {"Authorization": f"token {hub.token_for('bob')}"}
        r = requests.put(
            hub.service_url + "api/me/preferences",
            headers=token,
            data=b"{" + b" " * 2000 + b"}",
            timeout=30,
        )
        assert r.status_code == 413 and "limit of 1000" in r.json()["message"]
        hub.start_server("bob")
        assert hub.process is not None
        started = _descendants(hub.process.pid)
        # proxy, service and bob's server at least
        assert len(started) >= 3
        process = hub.process
        process.terminate()  # what Ctrl-C on `make up` does
        process.wait(30)
        assert process.returncode == 0, hub.log()[-2000:]
        alive = [
            p
            for p in started
            if Path(f"/proc/{p}").exists()
            and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()
        ]
        assert alive == []
        assert hub.leftover_ports() == []
        assert re.search(r"Cleaning up single-user servers", hub.log())
