"""The `system-users` deployment mode: each person's server runs as their own Unix account."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.hubctl import running_hub

pytestmark = pytest.mark.hub


@pytest.fixture
def team() -> Iterator[tuple[Path, list[str]]]:
    """A data root all users can traverse, and fresh account names; the accounts go afterwards."""
    root = Path(tempfile.mkdtemp(prefix="scalelab-sysusers-"))
    root.chmod(0o755)
    names = [f"sl{secrets.token_hex(3)}", f"sl{secrets.token_hex(3)}"]
    creds = root / "demo-credentials.txt"
    creds.write_text("".join(f"user {n} {secrets.token_urlsafe(10)}\n" for n in names))
    creds.chmod(0o600)
    try:
        yield root, names
    finally:
        for name in names:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def server_uids(user: str) -> set[int]:
    uids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if f"JUPYTERHUB_USER={user}".encode() in environ:
            uid_line = next(ln for ln in status.splitlines() if ln.startswith("Uid:"))
            uids.add(int(uid_line.split()[1]))
    return uids


@pytest.mark.skipif(os.geteuid() != 0, reason="the system-users mode runs the hub as root")
def test_servers_run_as_their_own_unix_user(team: tuple[Path, list[str]]) -> None:
    root, (ann, ben) = team
    with running_hub(root, SCALELAB_MODE="system-users") as hub:
        hub.start_server(ann)
        account = pwd.getpwnam(ann)  # made by the pre-spawn hook
        assert Path(account.pw_dir) == root / "users" / ann
        assert server_uids(ann) == {account.pw_uid}

        token = {"Authorization": f"token {hub.token_for(ann)}"}
        r = requests.put(
            hub.url + f"user/{ann}/api/contents/hello.txt",
            json={"type": "file", "format": "text", "content": "hi"},
            headers=token,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        assert (root / "users" / ann / "hello.txt").stat().st_uid == account.pw_uid
        # The service still knows who is calling through the server.
        me = requests.get(hub.url + f"user/{ann}/scalelab/api/me", headers=token, timeout=30)
        assert me.json()["name"] == ann
        with pytest.raises(KeyError):
            pwd.getpwnam(ben)  # no account until a first spawn
        hub.stop_server(ann)
