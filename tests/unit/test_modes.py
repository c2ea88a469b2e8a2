"""Which mode `scalelab up` picks, whether other users can reach an installation, and what the
system-users mode hides in the data root."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalelab.hub import modes
from scalelab.unix import UnixError, ensure_unix_user, seal_data_root, unreachable


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder everyone may enter (pytest's own tmp_path lies under a private one)."""
    folder = Path(tempfile.mkdtemp(prefix="scalelab-reach-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_unreachable_names_the_first_place_others_cannot_pass(base: Path) -> None:
    private = base / "private"
    (private / "inner").mkdir(parents=True)
    private.chmod(0o700)
    file = private / "inner" / "file"
    file.write_text("x")
    file.chmod(0o644)
    assert unreachable({file: "r"}) == (private, "x")
    # Through a symlink from an open place, the folder it leads into still blocks.
    (base / "link").symlink_to(private / "inner")
    assert unreachable({base / "link" / "file": "r"}) == (private, "x")

    private.chmod(0o711)  # search only: enough to pass
    assert unreachable({file: "r", base / "link" / "file": "r"}) is None
    file.chmod(0o600)
    assert unreachable({file: "r"}) == (file, "r")
    assert unreachable({base / "missing": "rx"}) is None


def test_up_picks_system_users_only_as_root_and_where_it_can_work(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modes.os, "geteuid", lambda: 1000)
    mode, why = modes.choose_mode(base / "data")
    assert mode == "local" and why is not None and "root" in why

    monkeypatch.setattr(modes.os, "geteuid", lambda: 0)
    monkeypatch.setattr(modes, "unreachable", lambda needs: None)
    assert modes.choose_mode(base / "data") == ("system-users", None)

    monkeypatch.setattr(modes, "unreachable", lambda needs: (base, "x"))
    base.chmod(0o700)
    mode, why = modes.choose_mode(base / "data")
    assert mode == "local"
    assert why is not None and f"chmod o+x {base}" in why and "mode 700" in why


def test_server_needs_cover_the_venv_the_package_and_the_data_root(base: Path) -> None:
    needs = modes.server_needs(base / "data")  # not made yet: its parent must be passable
    assert needs[base] == "x"
    assert any(p.name == "jupyterhub-singleuser" for p in needs)
    (base / "data").mkdir()
    assert modes.server_needs(base / "data")[base / "data"] == ""  # its mode is set at start


def test_sealing_the_data_root_leaves_users_only_what_they_share(base: Path) -> None:
    root = base / "data"
    (root / "hub").mkdir(parents=True)
    (root / "workspaces").mkdir(mode=0o755)
    for name in ("scalelab.sqlite", "service_cookie_secret", "hub/jupyterhub_cookie_secret"):
        (root / name).write_text("secret")
        (root / name).chmod(0o644)
    seal_data_root(root)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(root) == 0o711
    assert {name: mode(root / name) for name in ("workspaces", "runs", "users")} == {
        "workspaces": 0o711,
        "runs": 0o711,
        "users": 0o711,
    }
    assert mode(root / "hub") == mode(root / "trash") == 0o700  # trash: made before any delete
    assert mode(root / "scalelab.sqlite") == mode(root / "service_cookie_secret") == 0o600


@pytest.mark.parametrize("name", ["root", "daemon", "nobody"])
def test_no_server_runs_as_a_system_account(name: str, base: Path) -> None:
    with pytest.raises(UnixError, match="system account"):
        ensure_unix_user(name, base)
