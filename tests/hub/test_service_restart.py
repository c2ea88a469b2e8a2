"""The service killed in the middle of a run: the hub restarts it, the record stays honest."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests

from tests.hubctl import running_hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

pytestmark = pytest.mark.hub


def test_a_killed_service_leaves_a_consistent_record(tmp_path: Path) -> None:
    with running_hub(tmp_path) as hub:
        headers = {"Authorization": f"token {hub.token_for('alice')}"}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": "restart"}, headers=headers, timeout=30).ok
        folder = hub.data_root / "workspaces" / "restart"
        write_notebook(
            folder / "slow.ipynb",
            "n = 1",
            "import os, pathlib; pathlib.Path('pid').write_text(str(os.getpid()))",
            "import time; time.sleep(300)",
        )
        run = requests.post(
            f"{api}/restart/runs", json={"target": "slow.ipynb"}, headers=headers, timeout=30
        ).json()
        wait_until((folder / "pid").exists, 60, 0.1)
        kernel = int((folder / "pid").read_text())
        [service] = hub.service_pids()
        # The run made the project's MLflow server start: it must not outlive its service.
        [tracking] = hub.service_pids("scalelab.service.tracking_backend")
        os.kill(service, signal.SIGKILL)

        def restarted() -> requests.Response | None:
            try:
                r = requests.get(f"{api}/restart/runs/{run['id']}", headers=headers, timeout=5)
            except requests.ConnectionError:
                return None
            if r.status_code == 200 and hub.service_pids() != [service]:
                return r
            return None

        # The hub notices, and starts the service again.
        r = wait_until(restarted, 90, 0.5, lambda: hub.log()[-3000:])
        record = r.json()
        assert record["status"] == "failed"
        assert record["error"] == "the service stopped during this run"
        assert record["steps"][0]["status"] == "failed"
        wait_until(
            lambda: not Path(f"/proc/{tracking}").exists(), 15, 0.2, "MLflow outlived the service"
        )
        # The orphaned kernel notices its parent is gone.
        wait_until(
            lambda: not Path(f"/proc/{kernel}").exists(), 15, 0.2, "kernel outlived the service"
        )
