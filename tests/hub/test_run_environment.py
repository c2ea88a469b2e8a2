"""Code run for a project finds none of the service's credentials: a run's kernel sees no hub
token of the service, no OAuth settings and no service configuration, in `os.environ` or in
the environment its process started with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from scalelab.environ import is_private
from tests.hubctl import running_hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
DUMP = """
import json, os, pathlib
started = pathlib.Path('/proc/self/environ').read_bytes().split(b'\\0')
pathlib.Path('environ.json').write_text(json.dumps({
    'now': sorted(os.environ),
    'started': sorted(e.split(b'=', 1)[0].decode() for e in started if b'=' in e),
}))
"""


def test_a_runs_kernel_finds_no_credential_of_the_service(tmp_path: Path) -> None:
    with running_hub(tmp_path) as hub:
        alice = {"Authorization": f"token {hub.token_for('alice')}"}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": "env"}, headers=alice, timeout=30).ok
        workspace = hub.data_root / "workspaces" / "env"
        write_notebook(workspace / "dump.ipynb", "n = 1", DUMP)
        r = requests.post(
            f"{api}/env/runs", json={"target": "dump.ipynb"}, headers=alice, timeout=30
        )
        assert r.status_code == 201, r.text
        wait_until((workspace / "environ.json").exists, 120, 0.3)
        found = json.loads((workspace / "environ.json").read_text())
    for names in (found["now"], found["started"]):
        leaked = [n for n in names if is_private(n) and n != "MLFLOW_TRACKING_TOKEN"]
        assert leaked == [], leaked
        assert "JUPYTERHUB_API_TOKEN" not in names and "SCALELAB_CONFIG_JSON" not in names
    # What the run is meant to have is there.
    assert {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "SCALELAB_PROJECT"} <= set(found["now"])
