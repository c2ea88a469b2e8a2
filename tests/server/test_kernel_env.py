"""A real kernel manager and real ipykernels: project kernels know their project, others not."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Configurable

from scalelab.server.contents import ProjectContentsManager
from scalelab.server.kernels import ProjectKernelManager, project_of

SERVICE = "http://127.0.0.1:8181/services/scalelab/"
NAMES = (
    "SCALELAB_PROJECT",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_EXPERIMENT_NAME",
    "SCALELAB_TEST_SERVER_ONLY",
    "JPY_SESSION_NAME",
)
READ = f"json.dumps({{'cwd': os.getcwd(), **{{k: os.environ.get(k) for k in {NAMES!r}}}}})"


async def _environ(km: ProjectKernelManager, kernel_id: str) -> dict[str, Any]:
    client = km.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=30)
        msg_id = client.execute("import json, os", user_expressions={"env": READ})
        while True:
            reply = await client.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        text = reply["content"]["user_expressions"]["env"]["data"]["text/plain"]
        return dict(json.loads(ast.literal_eval(text)))
    finally:
        client.stop_channels()


async def _kernel_envs(root: Path) -> list[dict[str, Any]]:
    km = ProjectKernelManager(root_dir=str(root))
    try:
        session_env = {**os.environ, "JPY_SESSION_NAME": str(root / "projects/demo/a.ipynb")}
        ids = await asyncio.gather(
            # as the session manager starts them (the server's env plus its own) ...
            km.start_kernel(path="projects/demo", kernel_name="python3", env=session_env),
            # ... and as POST /api/kernels does (no env)
            km.start_kernel(path="projects/demo/sub", kernel_name="python3"),
            km.start_kernel(path="elsewhere", kernel_name="python3"),
        )
        return list(await asyncio.gather(*(_environ(km, k) for k in ids)))
    finally:
        await km.shutdown_all(now=True)


@pytest.mark.timeout(60)
def test_kernels_know_their_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "projects/demo/sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setenv("SCALELAB_SERVICE_URL", SERVICE)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "server-token")
    monkeypatch.setenv("SCALELAB_TEST_SERVER_ONLY", "kept")
    for name in NAMES[:4]:
        monkeypatch.delenv(name, raising=False)

    session, api, outside = asyncio.run(_kernel_envs(tmp_path))

    for env in (session, api):
        assert env["SCALELAB_PROJECT"] == "demo"
        assert env["MLFLOW_TRACKING_URI"] == SERVICE + "mlflow/demo"
        assert env["MLFLOW_TRACKING_TOKEN"] == "server-token"
        assert env["MLFLOW_EXPERIMENT_NAME"] == "demo"
        assert env["SCALELAB_TEST_SERVER_ONLY"] == "kept"  # the server's env is not lost
    assert session["JPY_SESSION_NAME"].endswith("projects/demo/a.ipynb")
    assert Path(api["cwd"]) == tmp_path / "projects/demo/sub"
    assert {k: outside[k] for k in NAMES[:4]} == dict.fromkeys(NAMES[:4])
    assert outside["SCALELAB_TEST_SERVER_ONLY"] == "kept"


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("projects/demo", "demo"),
        ("/projects/demo/a/b/", "demo"),
        ("projects", None),
        ("projects/../demo", None),
        ("projects/demo/../../x", None),
        ("projects/Not_A_Slug", None),
        ("runs/demo", None),
        ("", None),
    ],
)
def test_project_of_path(path: str, slug: str | None) -> None:
    assert project_of(path) == slug


def test_only_my_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ScaleLab's contents manager, a slug it does not list as mine gets no project env."""
    monkeypatch.setenv("SCALELAB_SERVICE_URL", "http://127.0.0.1:9/services/scalelab/")
    server = Configurable()
    contents = ProjectContentsManager(
        parent=server, root_dir=str(tmp_path), workspaces_root=str(tmp_path / "ws")
    )
    contents._projects = {"demo": {"slug": "demo"}}
    contents._fetched = time.monotonic()
    server.contents_manager = contents  # type: ignore[attr-defined]
    km = ProjectKernelManager(parent=server, root_dir=str(tmp_path))

    assert asyncio.run(km._project_for("projects/demo/sub")) == "demo"
    # Unknown: the service is asked again (here it does not answer), then refused.
    assert asyncio.run(km._project_for("projects/other")) is None
    assert asyncio.run(km._project_for("elsewhere")) is None
