"""Deleting or archiving a project stops its work first; nothing of it reaches another tenant."""

from __future__ import annotations

import time

import pytest

from scalelab.service.models import RunList, RunModel
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller, new_slug
from tests.service.test_runs import wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
OWNER = ROLE_USERS["owner"]


def _start_slow_run(hub: Hub, owner: Caller, slug: str) -> RunModel:
    r = owner("POST", "api/projects", json={"slug": slug, "title": "Slow"})
    assert r.status_code == 201, r.text
    write_notebook(
        hub.data_root / "workspaces" / slug / "slow.ipynb",
        "n = 1",
        "import time; time.sleep(8)",
        "print('finished', n)",
    )
    r = owner("POST", f"api/projects/{slug}/runs", json={"target": "slow.ipynb"})
    assert r.status_code == 201, r.text
    run_id = RunModel.model_validate(r.json()).id

    def running() -> RunModel | None:
        run = RunModel.model_validate(owner("GET", f"api/projects/{slug}/runs/{run_id}").json())
        return run if run.steps[0].status == "running" else None

    return wait_until(running, 60, 0.2, "the run never started")


def test_a_deleted_projects_run_never_lands_in_the_next_project(
    hub: Hub, callers: dict[str, Caller]
) -> None:
    owner, erin = callers[OWNER], callers[OUTSIDER]
    slug = new_slug("delrun")
    run = _start_slow_run(hub, owner, slug)
    r = owner("DELETE", f"api/projects/{slug}?confirm={slug}")
    assert r.status_code == 200, r.text
    after = new_slug("afterdel")
    assert erin("POST", "api/projects", json={"slug": after}).status_code == 201
    # Past the moment the run would have finished on its own.
    time.sleep(10)
    listed = RunList.model_validate(erin("GET", f"api/projects/{after}/runs").json())
    assert listed.runs == []
    assert erin("GET", f"api/projects/{after}/runs/{run.id}").status_code == 404
    assert not (hub.data_root / "runs" / slug).exists()


def test_archiving_a_project_cancels_its_runs(hub: Hub, callers: dict[str, Caller]) -> None:
    owner = callers[OWNER]
    slug = new_slug("archrun")
    run = _start_slow_run(hub, owner, slug)
    r = owner("POST", f"api/projects/{slug}/archive")
    assert r.status_code == 200, r.text
    finished = wait_for(owner, slug, run.id, timeout=20)
    assert finished.status == "cancelled"
    assert owner("POST", f"api/projects/{slug}/archive").status_code == 409
