"""`scalelab up` started the ways the README shows, and what each deployment mode says at start."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
import requests

from tests.hub.reach import reachable_by_everyone
from tests.hubctl import REPO, VENV_BIN, free_port, running_hub
from tests.waiting import wait_until

pytestmark = pytest.mark.hub

# A PATH without the venv: what a shell has when `.venv/bin/scalelab up` is typed as is.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_up_by_its_path_alone_spawns_servers(tmp_path: Path) -> None:
    with running_hub(tmp_path, PATH=SYSTEM_PATH, SCALELAB_MODE="local") as hub:
        hub.start_server("alice")
        token = {"Authorization": f"token {hub.token_for('alice')}"}
        r = requests.get(hub.url + "user/alice/api/status", headers=token, timeout=30)
        assert r.status_code == 200, r.text
        hub.stop_server("alice")


def test_the_local_mode_says_plainly_that_kernels_share_one_account(tmp_path: Path) -> None:
    with running_hub(tmp_path, SCALELAB_MODE="local") as hub:
        token = {"Authorization": f"token {hub.token_for('alice')}"}
        health = requests.get(hub.service_url + "api/health", headers=token, timeout=30).json()
        assert health["deployment"] == {"mode": "local", "roles_hold_for_kernels": False}
        warnings = [line for line in hub.log().splitlines() if "one OS account" in line]
        assert len(warnings) == 1, hub.log()[-3000:]
        assert "can read every project" in warnings[0]


@pytest.fixture
def private_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="scalelab-private-"))  # mode 0700
    try:
        yield folder
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_system_users_refuses_a_place_other_users_cannot_reach(private_folder: Path) -> None:
    ports = ("PORT", "HUB_PORT", "PROXY_API_PORT", "SERVICE_PORT")
    env = {**os.environ, "PATH": SYSTEM_PATH, **{f"SCALELAB_{p}": str(free_port()) for p in ports}}
    data_root = private_folder / "data"
    # From a private checkout the installation would be named first: open it, as the
    # system-users tests do, so that the data root is what stands in the way.
    as_root = os.geteuid() == 0
    up = ["up", "--mode", "system-users", "--data-root", str(data_root)]
    with reachable_by_everyone(private_folder.parent) if as_root else nullcontext():
        result = subprocess.run(
            [str(VENV_BIN / "scalelab"), *up],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    if as_root:
        assert str(private_folder) in lines[0] and f"chmod o+x {private_folder}" in lines[0]
    else:
        assert "root" in lines[0]
    assert not data_root.exists()  # refused before anything was made


def test_the_demo_starts_with_its_model_served(tmp_path: Path) -> None:
    """What `make up` shows at a first start: the demo project's pipeline has run once and its
    model is registered and served at the endpoint `tumours`, for every member to call."""
    with running_hub(tmp_path, SCALELAB_DEMO="1") as hub:
        bob = {"Authorization": f"token {hub.token_for('bob')}"}  # an editor of the demo
        endpoint = f"{hub.service_url}api/projects/demo/deployments/tumours"

        def live() -> dict[str, object] | None:
            r = requests.get(endpoint, headers=bob, timeout=30)
            return r.json() if r.status_code == 200 and r.json()["state"] == "live" else None

        served = wait_until(live, 300, 1, lambda: hub.log()[-3000:])
        assert served["blue"]["name"] == "tumours"  # type: ignore[index]
        test = (hub.data_root / "workspaces" / "demo" / "data" / "test.csv").read_text()
        header, *rows = test.splitlines()[:4]
        columns = header.split(",")
        keep = [i for i, c in enumerate(columns) if c != "target"]
        data = [[float(row.split(",")[i]) for i in keep] for row in rows]
        body = {"dataframe_split": {"columns": [columns[i] for i in keep], "data": data}}
        r = requests.post(
            f"{hub.service_url}serve/demo/tumours/invocations", json=body, headers=bob, timeout=30
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 3
