"""Serving backends by name, and failure doubles behind the deployer: a backend whose replicas
never answer and one whose replicas die as soon as they start. Either way the endpoint's
state and history say why, the API stays responsive, and a live version keeps serving."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from scalelab.service.replicas import Replica, ReplicaFailed, ReplicaLauncher, Serving
from tests.inprocess.service import InProcessService, in_process_service
from tests.inprocess.test_deployments import ROWS, register
from tests.service.conftest import ROLE_USERS, Caller, callers_of, project_of
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess


NEVER_TIMEOUT = 2.0


class Switchable(ReplicaLauncher):
    """The local backend, or (as `mode` says) a double of a failing one."""

    mode: ClassVar[str] = "local"

    async def start(
        self, label: str, model_dir: Path, log_path: Path, account: str | None = None
    ) -> Replica:
        if self.mode == "never":  # a slow machine that never comes up (a short timeout)
            await asyncio.sleep(NEVER_TIMEOUT)
            raise ReplicaFailed(f"the replica did not answer within {NEVER_TIMEOUT:.0f}s")
        replica = await super().start(label, model_dir, log_path, account)
        if self.mode == "crash":  # answers once, then dies
            os.kill(replica.process.pid, signal.SIGKILL)
        return replica


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessService]:
    config = {
        "Serving": {
            "backend_class": f"{__name__}.Switchable",
            "bake_seconds": 1.0,
            "check_interval": 0.2,
        }
    }
    with in_process_service(tmp_path_factory.mktemp("backends"), config) as service:
        yield service
    Switchable.mode = "local"


# This module's own service (its backend is a double): its own callers and projects.
@pytest.fixture(scope="module")
def callers(hub: InProcessService) -> dict[str, Caller]:
    return callers_of(hub)  # type: ignore[arg-type]


@pytest.fixture
def project(callers: dict[str, Caller]) -> str:
    return project_of(callers)


def endpoint(caller: Caller, slug: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = caller("GET", f"api/projects/{slug}/deployments/{name}").json()
    return found


def test_backends_are_found_by_short_name() -> None:
    assert Serving(backend_class="local").backend_class is ReplicaLauncher


def test_a_backend_whose_replicas_never_answer_fails_the_endpoint_with_the_reason(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    version = register(callers, hub, project, 1)
    deployer = callers[ROLE_USERS["deployer"]]
    Switchable.mode = "never"
    body = {"name": "slow", "model_uri": f"models:/tumours/{version}"}
    assert deployer("POST", f"api/projects/{project}/deployments", json=body).status_code == 202
    started = time.monotonic()
    assert endpoint(deployer, project, "slow")["state"] in ("starting", "failed")
    assert time.monotonic() - started < 1.5  # the API does not wait for the backend

    failed = wait_until(
        lambda: (found := endpoint(deployer, project, "slow"))["state"] == "failed" and found,
        120,
        0.2,
    )
    assert failed["replicas"] == []
    events = deployer("GET", f"api/projects/{project}/deployments/slow/events").json()["events"]
    assert events[0]["kind"] == "failed"
    assert "did not answer within 2s" in events[0]["message"]


def test_a_new_version_whose_replicas_die_leaves_the_live_one_serving(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    first, second = register(callers, hub, project, 1), register(callers, hub, project, 2)
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    Switchable.mode = "local"
    body = {"name": "steady", "model_uri": f"models:/tumours/{first}"}
    assert deployer("POST", f"api/projects/{project}/deployments", json=body).status_code == 202
    wait_until(
        lambda: endpoint(viewer, project, "steady")["state"] == "live",
        120,
        0.2,
        lambda: str(viewer("GET", f"api/projects/{project}/deployments/steady/events").json()),
    )

    Switchable.mode = "crash"
    r = deployer(
        "POST",
        f"api/projects/{project}/deployments/steady/versions",
        json={"model_uri": f"models:/tumours/{second}"},
    )
    assert r.status_code == 202, r.text
    wait_until(
        lambda: any(
            e["kind"] in ("keep_blue", "rollback")
            for e in viewer("GET", f"api/projects/{project}/deployments/steady/events").json()[
                "events"
            ]
        ),
        120,
        0.2,
        lambda: str(viewer("GET", f"api/projects/{project}/deployments/steady/events").json()),
    )
    Switchable.mode = "local"
    state = endpoint(viewer, project, "steady")
    assert state["blue"]["version"] == first and state["green"] is None
    assert state["state"] == "live"
    r = viewer("POST", f"serve/{project}/steady/invocations", json=ROWS)
    assert r.status_code == 200 and r.headers["X-ScaleLab-Version"] == f"tumours/{first}"
