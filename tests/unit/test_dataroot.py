"""The data root's layout, named once: what is where must not move under existing data."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalelab.dataroot import DataRoot
from scalelab.hub.settings import HubSettings
from scalelab.service.app import ScaleLab


def test_the_layout_is_the_one_on_disk(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    layout = {
        root.workspaces: "workspaces",
        root.runs: "runs",
        root.trash: "trash",
        root.tracking: "tracking",
        root.serving: "serving",
        root.users: "users",
        root.hub: "hub",
        root.service_db: "scalelab.sqlite",
        root.service_cookie_secret: "service_cookie_secret",
        root.credentials: "demo-credentials.txt",
        root.hub_db: "hub/jupyterhub.sqlite",
        root.hub_cookie_secret: "hub/jupyterhub_cookie_secret",
        root.hub_pid: "hub/jupyterhub.pid",
        root.proxy_pid: "hub/proxy.pid",
        root.demo_marker("demo"): ".demo-project-demo",
    }
    assert {path: str(path.relative_to(tmp_path)) for path in layout} == layout
    assert set(DataRoot.SHARED) | set(DataRoot.PRIVATE) == {
        "workspaces",
        "runs",
        "users",
        "hub",
        "trash",
        "tracking",
        "serving",
    }
    assert not any(tmp_path.iterdir())  # naming a path makes nothing


def test_hub_settings_and_the_service_share_one_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = HubSettings.from_environ({"SCALELAB_DATA_ROOT": str(tmp_path)})
    assert settings.data == DataRoot(tmp_path)
    ScaleLab.clear_instance()
    monkeypatch.delenv("SCALELAB_CONFIG_JSON", raising=False)
    app = ScaleLab()
    app.initialize([f"--data-root={tmp_path}"])
    try:
        assert app.data == settings.data
        assert app.db_url == f"sqlite:///{settings.data.service_db}"
        assert app.workspaces.root == settings.data.workspaces
        assert app.runs.outputs == settings.data.runs
        assert app.cookie_secret() == settings.data.service_cookie_secret.read_text().encode()
    finally:
        app.store.dispose()
        ScaleLab.clear_instance()
