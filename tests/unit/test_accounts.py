"""Demo accounts and deployment settings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scalelab.hub.demo import ensure_accounts, read_accounts
from scalelab.hub.settings import HubSettings


def test_accounts_are_made_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "demo-credentials.txt"
    accounts, created = ensure_accounts(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {a.name for a in accounts} == {"admin", "alice", "bob"}
    assert [a.name for a in accounts if a.role == "admin"] == ["admin"]
    assert len({a.password for a in accounts}) == 3
    again, created_again = ensure_accounts(path)
    assert not created_again
    assert again == accounts


def test_malformed_credentials_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "creds.txt"
    path.write_text("# comment\nadmin root secret\nsuperuser eve pw\n")
    with pytest.raises(ValueError, match=r"creds.txt:3"):
        read_accounts(path)


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {"SCALELAB_DATA_ROOT": str(tmp_path), "SCALELAB_PORT": "9000", "SCALELAB_MODE": "x"}
    s = HubSettings.from_environ(env)
    assert (s.port, s.mode, s.hub_port) == (9000, "x", 8081)
    assert s.public_url == "http://127.0.0.1:9000/"
    assert HubSettings.from_environ(s.to_environ()) == s
