from __future__ import annotations

from collections.abc import Iterator

import pytest

from scalelab.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A database at the current schema, on each backend."""
    s = Store(db_url)
    s.upgrade()
    yield s
    s.dispose()
