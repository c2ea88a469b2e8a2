"""Let other Unix users reach a checkout kept in a private folder, for the time of a test.

The system-users mode runs servers as other Unix users, who must reach the venv, the package
and the data root. A checkout under a private home or a `mktemp -d` folder blocks them; this
grants search permission (nothing more) on the folders in the way, which is what
`scalelab up --mode system-users` tells an operator to do, and restores their modes afterwards.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scalelab.hub.modes import server_needs
from scalelab.unix import unreachable


@contextmanager
def reachable_by_everyone(data_root: Path) -> Iterator[None]:
    changed: list[tuple[Path, int]] = []
    try:
        while (blocked := unreachable(server_needs(data_root))) is not None:
            path, missing = blocked
            if missing != "x" or not path.is_dir() or path in (p for p, _ in changed):
                pytest.fail(f"other Unix users cannot read {path} (o+{missing} missing)")
            mode = stat.S_IMODE(path.stat().st_mode)
            changed.append((path, mode))
            path.chmod(mode | stat.S_IXOTH)
        yield
    finally:
        # chmod with the old mode restores an ACL's mask too: its group bits are the mask.
        for path, mode in reversed(changed):
            path.chmod(mode)
