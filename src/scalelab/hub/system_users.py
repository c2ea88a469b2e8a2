"""Unix accounts for the `system-users` deployment mode."""

from __future__ import annotations

import pwd
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def ensure_unix_user(name: str, home_root: Path) -> pwd.struct_passwd:
    """The Unix account `name`, created (with a home under `home_root`) if it does not exist."""
    if not UNIX_NAME.match(name):
        raise ValueError(f"user name {name!r} cannot be a Unix account name")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    home_root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "useradd",
            "--create-home",
            "--home-dir",
            str(home_root / name),
            "--shell",
            "/usr/sbin/nologin",
            "--user-group",
            name,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return pwd.getpwnam(name)


def make_pre_spawn_hook(home_root: str) -> Callable[[Any], None]:
    """A `Spawner.pre_spawn_hook` that gives each user a Unix account before the first spawn."""

    def ensure_system_user(spawner: Any) -> None:
        ensure_unix_user(spawner.user.name, Path(home_root))

    return ensure_system_user
