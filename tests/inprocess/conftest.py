"""The in-process tier: the service tests' fixtures, over a service with no hub behind it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.inprocess.service import InProcessService, in_process_service
from tests.service.conftest import callers, project

__all__ = ["callers", "hub", "project", "quick_bake"]


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessService]:
    """Named like the real deployment's fixture, so that the service tests run here as they are."""
    with in_process_service(tmp_path_factory.mktemp("inprocess")) as service:
        yield service


@pytest.fixture
def quick_bake(hub: InProcessService) -> Iterator[None]:
    """Deployments bake for a second, and the deployer looks five times a second."""
    assert hub.app is not None
    config = hub.app.deployer.config
    saved = config.bake_seconds, config.check_interval
    config.bake_seconds, config.check_interval = 1.0, 0.2
    yield
    config.bake_seconds, config.check_interval = saved
