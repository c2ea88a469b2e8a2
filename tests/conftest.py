"""Shared fixtures: a real PostgreSQL server, a real ScaleLab deployment (hub, proxy, service)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalelab.tracking.quiet import NO_TELEMETRY

from .hubctl import Hub, running_hub
from .pg import Postgres, start_postgres

ARTIFACTS = Path(__file__).parent / "artifacts"
_db_names = itertools.count()
# MLflow in the tests' own processes (and those they start): nothing sent to MLflow's hosts.
os.environ.update(NO_TELEMETRY)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = start_postgres()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    pg: Postgres = request.getfixturevalue("postgres")
    return pg.create_database(f"test_{next(_db_names)}")


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One ScaleLab deployment shared by the service, hub and browser tests."""
    with running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running
    assert running.leftover_ports() == [], "the hub left ports open after stopping"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session", autouse=True)
def sweep_killed_services_folders() -> Iterator[None]:
    """Services the tests SIGKILL on purpose cannot remove their socket folders; a service
    started later sweeps those of dead processes, and so does the end of the session."""
    yield
    from scalelab.processfolders import sweep_stale_folders
    from scalelab.service.replicas import SOCKET_DIR_PREFIX as SERVING
    from scalelab.service.tracking import SOCKET_DIR_PREFIX as TRACKING

    # In-process services live in this process: once the session is over, their folders go.
    for prefix in (SERVING, TRACKING):
        for folder in Path(tempfile.gettempdir()).glob(f"{prefix}{os.getpid()}-*"):
            shutil.rmtree(folder, ignore_errors=True)
    # A service the hub stopped just now may not have been reaped yet: look for a few seconds.
    for _ in range(10):
        for prefix in (SERVING, TRACKING):
            sweep_stale_folders(prefix)
        if not any(Path(tempfile.gettempdir()).glob(f"{TRACKING}*")) and not any(
            Path(tempfile.gettempdir()).glob(f"{SERVING}*")
        ):
            return
        time.sleep(1)
