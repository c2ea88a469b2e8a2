"""Which deployment mode `scalelab up` runs, and whether the system-users mode can work here."""

from __future__ import annotations

import os
import stat
import sys
import sysconfig
from pathlib import Path

from ..unix import unreachable

LOCAL_WARNING = (
    "WARNING: mode local: the kernels of all users run as one OS account ({account}), so any "
    "user's code can read every project, the service database and the hub's secrets; project "
    "roles bind only ScaleLab's API and file browser. The system-users mode (as root) makes the "
    "OS hold kernels to their roles."
)


def server_needs(data_root: Path) -> dict[Path, str]:
    """What a user's server, running as that user, must reach (with the bits for others):
    this venv's interpreter and commands, the installed packages, and the data root."""
    import scalelab

    bin_dir = Path(sys.executable).parent
    # The data root's own mode is set at start; a data root yet to be made needs its parent.
    if data_root.exists():
        data_root_need = (data_root, "")
    else:
        data_root_need = (next(p for p in data_root.absolute().parents if p.exists()), "x")
    return {
        Path(sys.executable): "x",
        bin_dir / "jupyterhub-singleuser": "rx",
        Path(sys.prefix) / "pyvenv.cfg": "r",
        Path(sysconfig.get_paths()["purelib"]): "rx",
        Path(scalelab.__file__).parent: "rx",
        data_root_need[0]: data_root_need[1],
    }


def system_users_blocker(data_root: Path) -> str | None:
    """Why the system-users mode cannot work from here, as one line with the fix; None if
    it can."""
    if os.geteuid() != 0:
        return (
            "the system-users mode must run as root (it makes Unix accounts and starts "
            "servers as them)"
        )
    blocked = unreachable(server_needs(data_root))
    if blocked is None:
        return None
    path, missing = blocked
    mode = stat.S_IMODE(path.stat().st_mode)
    return (
        f"the system-users mode runs servers as other Unix users, who cannot reach {path} "
        f"(mode {mode:o}); allow them with `chmod o+{missing} {path}`, "
        "or install ScaleLab and its data root where every user can read them"
    )


def choose_mode(data_root: Path) -> tuple[str, str | None]:
    """The mode when none is given: system-users wherever it can work, as only it makes the
    OS hold users' kernels to their roles; else local, with the reason."""
    blocker = system_users_blocker(data_root)
    return ("local", blocker) if blocker else ("system-users", None)
