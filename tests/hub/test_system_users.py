"""The `system-users` deployment mode: each person's server runs as their own Unix account."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from scalelab.unix import ensure_unix_user
from tests.hub.reach import reachable_by_everyone
from tests.hubctl import REPO, running_hub
from tests.runs.conftest import write_notebook
from tests.schedules.clock import DATA_ROOT_CLOCK, set_clock
from tests.waiting import wait_until

pytestmark = pytest.mark.hub


@pytest.fixture
def team() -> Iterator[tuple[Path, list[str]]]:
    """A data root all users can traverse, and fresh account names; the accounts go afterwards."""
    root = Path(tempfile.mkdtemp(prefix="scalelab-sysusers-"))
    root.chmod(0o755)
    names = [f"sl{secrets.token_hex(3)}" for _ in range(4)]
    creds = root / "demo-credentials.txt"
    creds.write_text("".join(f"user {n} {secrets.token_urlsafe(10)}\n" for n in names))
    creds.chmod(0o600)
    try:
        with reachable_by_everyone(root):
            yield root, names
    finally:
        for name in names:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            subprocess.run(["groupdel", name], capture_output=True)
        for line in Path("/etc/passwd").read_text().splitlines():
            account = line.split(":", 1)[0]
            if account.startswith("slp-ws-" + names[0]):
                subprocess.run(["userdel", "--remove", account], capture_output=True)
        for line in Path("/etc/group").read_text().splitlines():
            group = line.split(":", 1)[0]
            if group.startswith(("sl-ws-" + names[0], "slp-ws-" + names[0])):
                subprocess.run(["groupdel", group], capture_output=True)
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
    root, (ann, ben, *_) = team
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


def as_user(user: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run Python as `user`, with the groups a newly started kernel of theirs would have."""
    return subprocess.run(
        ["runuser", "-u", user, "--", "/usr/bin/python3", "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="the system-users mode runs the hub as root")
def test_the_os_enforces_project_roles(team: tuple[Path, list[str]]) -> None:
    root, (owner, viewer, editor, outsider) = team
    slug = f"ws-{owner}"
    with running_hub(root, SCALELAB_MODE="system-users") as hub:
        for name in (viewer, editor, outsider):
            hub.ensure_user(name)
        call = {"Authorization": f"token {hub.token_for(owner)}"}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": slug}, headers=call, timeout=30).status_code == 201
        for name, role in ((viewer, "viewer"), (editor, "editor")):
            r = requests.put(
                f"{api}/{slug}/members/user/{name}", json={"role": role}, headers=call, timeout=30
            )
            assert r.status_code == 200, r.text
        workspace = root / "workspaces" / slug
        ensure_unix_user(outsider, root / "users")  # as their first spawn would
        read = f"print(open({str(workspace / 'README.md')!r}).read())"
        write = f"open({str(workspace / 'x.txt')!r}, 'w').write('x')"

        assert as_user(editor, write).returncode == 0
        assert as_user(viewer, read).returncode == 0
        denied = as_user(viewer, write)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
        hidden = as_user(outsider, read)
        assert hidden.returncode != 0 and "Permission denied" in hidden.stderr
        # What one editor writes, the others may change: the ACL outlives umask.
        append = f"open({str(workspace / 'x.txt')!r}, 'a').write('y')"
        assert as_user(owner, append).returncode == 0

        # Demoting the editor takes the write access away at the OS level too (files they
        # created stay theirs, as Unix owners).
        requests.put(
            f"{api}/{slug}/members/user/{editor}", json={"role": "viewer"}, headers=call, timeout=30
        )
        create = f"open({str(workspace / 'y.txt')!r}, 'w').write('y')"
        assert as_user(editor, create).returncode != 0


@pytest.mark.skipif(os.geteuid() != 0, reason="the system-users mode runs the hub as root")
def test_a_non_members_kernel_reads_no_project_home_or_secret(
    team: tuple[Path, list[str]],
) -> None:
    root, (owner, outsider, *_) = team
    slug = f"ws-{owner}"
    # No mode given: as root, and reachable by every user, `scalelab up` picks system-users;
    # started by its path alone, without the venv on PATH, as the README allows.
    with running_hub(root, SCALELAB_MODE="", PATH="/usr/sbin:/usr/bin:/sbin:/bin") as hub:
        call = {"Authorization": f"token {hub.token_for(owner)}"}
        health = requests.get(hub.service_url + "api/health", headers=call, timeout=30).json()
        assert health["deployment"] == {"mode": "system-users", "roles_hold_for_kernels": True}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": slug}, headers=call, timeout=30).status_code == 201
        tracking = hub.service_url + f"mlflow/{slug}/api/2.0/mlflow/experiments/search"
        r = requests.get(tracking + "?max_results=1", headers=call, timeout=120)
        assert r.status_code == 200, r.text  # the project's MLflow server runs
        (database,) = (root / "tracking").glob("*/mlflow.sqlite")
        [service] = hub.service_pids()
        (socket_path,) = Path(tempfile.gettempdir()).glob(
            f"scalelab-tracking-{service}-*/{database.parent.name}.sock"
        )
        hub.start_server(owner)
        hub.start_server(outsider)  # their kernels run as the account this spawn made
        notes = root / "users" / owner / "notes.txt"
        assert as_user(owner, f"open({str(notes)!r}, 'w').write('mine')").returncode == 0
        private = [
            root / "workspaces" / slug / "README.md",
            notes,
            root / "scalelab.sqlite",
            root / "service_cookie_secret",
            root / "demo-credentials.txt",
            root / "hub" / "jupyterhub_cookie_secret",
            root / "hub" / "jupyterhub.sqlite",
            database,
        ]
        for path in private:
            assert path.exists(), path
            denied = as_user(outsider, f"open({str(path)!r}, 'rb').read()")
            assert "Permission denied" in denied.stderr, (path, denied)
        # Nor reach the project's MLflow server but through the service, with hub credentials.
        connect = (
            f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(socket_path)!r})"
        )
        denied = as_user(outsider, connect)
        assert "Permission denied" in denied.stderr, denied
        # Nor may they list which projects and people there are.
        for folder in (root, root / "workspaces", root / "users"):
            denied = as_user(outsider, f"import os; os.listdir({str(folder)!r})")
            assert "Permission denied" in denied.stderr, (folder, denied)
        # Their own server still works.
        token = {"Authorization": f"token {hub.token_for(outsider)}"}
        r = requests.get(hub.url + f"user/{outsider}/api/contents/", headers=token, timeout=30)
        assert r.status_code == 200, r.text
        hub.stop_server(owner)
        hub.stop_server(outsider)


@pytest.mark.skipif(os.geteuid() != 0, reason="the system-users mode runs the hub as root")
def test_runs_execute_as_the_project_account(team: tuple[Path, list[str]]) -> None:
    from scalelab.unix import project_account

    root, (owner, *_) = team
    slug = f"ws-{owner}"
    # The service's clock is one the test moves, to bring a scheduled run's fire time near.
    set_clock(root / DATA_ROOT_CLOCK, datetime.now(UTC))
    extra = 'c.Scheduler.clock_class = "tests.schedules.clock.OffsetClock"\n'
    with running_hub(root, extra, SCALELAB_MODE="system-users", PYTHONPATH=str(REPO)) as hub:
        call = {"Authorization": f"token {hub.token_for(owner)}"}
        api = hub.service_url + "api/projects"
        assert requests.post(api, json={"slug": slug}, headers=call, timeout=30).status_code == 201
        workspace = root / "workspaces" / slug
        write_notebook(
            workspace / "who.ipynb",
            "n = 1",
            "import getpass, pathlib\npathlib.Path('who.txt').write_text(getpass.getuser())\n"
            "try:\n    open('/root/scalelab-escape', 'w')\nexcept PermissionError:\n"
            "    print('refused')",
        )
        started = requests.post(
            f"{api}/{slug}/runs", json={"target": "who.ipynb"}, headers=call, timeout=30
        ).json()

        def finished() -> dict[str, Any] | None:
            url = f"{api}/{slug}/runs/{started['id']}"
            run = requests.get(url, headers=call, timeout=30).json()
            return None if run["status"] in ("queued", "running") else run

        run = wait_until(finished, 120, 0.3)
        assert run["status"] == "succeeded", run["error"]
        account = pwd.getpwnam(project_account(slug))
        assert (workspace / "who.txt").read_text() == account.pw_name
        assert (workspace / "who.txt").stat().st_uid == account.pw_uid
        assert "refused" in (root / run["steps"][0]["output"]).read_text()
        assert not Path("/root/scalelab-escape").exists()

        # A scheduled run, with its owner's server stopped: the same project account.
        (workspace / "who.txt").unlink()
        set_clock(root / DATA_ROOT_CLOCK, datetime(2030, 1, 7, 10, 59, 58, tzinfo=UTC))
        schedule = {"name": "who", "target": "who.ipynb", "cron": "* * * * *"}
        r = requests.post(f"{api}/{slug}/schedules", json=schedule, headers=call, timeout=30)
        assert r.status_code == 201, r.text

        def scheduled_run_done() -> dict[str, Any] | None:
            newest = requests.get(f"{api}/{slug}/runs", headers=call, timeout=30).json()["runs"][0]
            done = newest["trigger"] == "schedule" and newest["status"] not in ("queued", "running")
            return newest if done else None

        newest = wait_until(scheduled_run_done, 120, 0.3, lambda: hub.log()[-3000:])
        assert newest["status"] == "succeeded", newest["error"]
        assert (workspace / "who.txt").read_text() == account.pw_name


TRAIN = """
import mlflow, mlflow.sklearn, pandas as pd
from sklearn.tree import DecisionTreeClassifier
X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
mlflow.log_metric("accuracy", 1.0)
mlflow.sklearn.log_model(
    DecisionTreeClassifier(max_depth=2).fit(X, [0, 1, 1, 0]), name="model",
    input_example=X.head(2), skops_trusted_types=["sklearn.tree._tree.Tree"],
)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the system-users mode runs the hub as root")
def test_replicas_run_as_the_project_account(team: tuple[Path, list[str]]) -> None:
    """A model may hold its deployers' code: its replicas run as the project's account, which
    reads that project's models and nothing of other projects or of the service."""
    from scalelab.unix import project_account

    root, (owner, other, *_) = team
    slug = f"ws-{owner}"
    with running_hub(root, SCALELAB_MODE="system-users") as hub:
        call = {"Authorization": f"token {hub.token_for(owner)}"}
        api = f"{hub.service_url}api/projects/{slug}"
        r = requests.post(
            hub.service_url + "api/projects", json={"slug": slug}, headers=call, timeout=30
        )
        assert r.status_code == 201, r.text
        write_notebook(root / "workspaces" / slug / "train.ipynb", "n = 1", TRAIN)
        run = requests.post(f"{api}/runs", json={"target": "train.ipynb"}, headers=call, timeout=30)

        def finished() -> dict[str, Any] | None:
            found = requests.get(f"{api}/runs/{run.json()['id']}", headers=call, timeout=30).json()
            return None if found["status"] in ("queued", "running") else found

        assert wait_until(finished, 180, 0.5)["status"] == "succeeded"
        r = requests.post(
            f"{api}/models",
            json={"run_id": run.json()["id"], "name": "m"},
            headers=call,
            timeout=60,
        )
        assert r.status_code == 201, r.text
        body = {"name": "m", "model_uri": "models:/m/1"}
        assert requests.post(f"{api}/deployments", json=body, headers=call, timeout=30).ok

        def live() -> bool:
            state = requests.get(f"{api}/deployments/m", headers=call, timeout=30).json()
            return bool(state["state"] == "live")

        wait_until(live, 180, 0.5, lambda: hub.log()[-3000:])
        rows = {"dataframe_split": {"columns": ["x"], "data": [[0.0], [3.0]]}}
        r = requests.post(
            f"{hub.service_url}serve/{slug}/m/invocations", json=rows, headers=call, timeout=30
        )
        assert r.status_code == 200, r.text

        account = pwd.getpwnam(project_account(slug))
        [replica] = hub.service_pids("scalelab.serving.replica")
        status = Path(f"/proc/{replica}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert set(uid_line.split()[1:]) == {str(account.pw_uid)}
        # Its models are its own: another account (a person's) does not read them.
        models = next((root / "serving").glob("*/models"))
        assert models.stat().st_uid == account.pw_uid
        ensure_unix_user(other, root / "users")  # as their first spawn would
        peek = as_user(other, f"import os; print(os.listdir({str(models)!r}))")
        assert peek.returncode != 0 and "PermissionError" in peek.stderr
        requests.delete(f"{api}/deployments/m", headers=call, timeout=60)
