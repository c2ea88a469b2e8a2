"""Every endpoint x every kind of caller, in process: the same table as tests/service."""

from __future__ import annotations

import pytest

from tests.service.test_role_matrix import *  # noqa: F403 - the same tests, over this tier

pytestmark = pytest.mark.inprocess
