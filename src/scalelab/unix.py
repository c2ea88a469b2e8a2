"""Unix accounts, groups and ACLs: how the system-users mode makes the OS enforce roles."""

from __future__ import annotations

import hashlib
import pwd
import re
import shutil
import subprocess
from pathlib import Path

UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class UnixError(RuntimeError):
    pass


def _run(*cmd: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise UnixError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")


def ensure_unix_user(name: str, home_root: Path) -> pwd.struct_passwd:
    """The Unix account `name`, created (with a home under `home_root`) if it does not exist."""
    if not UNIX_NAME.match(name):
        raise ValueError(f"user name {name!r} cannot be a Unix account name")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    home_root.mkdir(parents=True, exist_ok=True)
    _run(
        "useradd",
        "--create-home",
        "--home-dir",
        str(home_root / name),
        "--shell",
        "/usr/sbin/nologin",
        "--user-group",
        name,
    )
    return pwd.getpwnam(name)


def _stem(slug: str) -> str:
    # Unix names stop at 32 characters: long slugs are cut and made unique by a hash.
    return slug if len(slug) <= 24 else f"{slug[:17]}-{hashlib.sha1(slug.encode()).hexdigest()[:6]}"


def project_groups(slug: str) -> tuple[str, str]:
    """Names of the Unix groups of a project: (members who may read, members who may write)."""
    stem = _stem(slug)
    return f"sl-{stem}-r", f"sl-{stem}-w"


def project_account(slug: str) -> str:
    """The Unix account a project's runs execute as."""
    return f"slp-{_stem(slug)}"


def remove_user(name: str) -> None:
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def ensure_group(name: str) -> None:
    _run("groupadd", "--force", name)


def set_group_members(name: str, users: set[str]) -> None:
    _run("gpasswd", "--members", ",".join(sorted(users)), name)


def remove_group(name: str) -> None:
    subprocess.run(["groupdel", name], capture_output=True)


def grant_workspace(folder: Path, read_group: str, write_group: str) -> None:
    """Readers may read, writers may write, everyone else may not even list the folder.

    Default ACLs make files that members create later carry the same rights, whatever their
    umask.
    """
    if shutil.which("setfacl") is None:
        raise UnixError("setfacl is missing: install the Debian package 'acl'")
    folder.chmod(0o770)
    spec = (
        f"g:{read_group}:rX,g:{write_group}:rwX,o::---,"
        f"d:g:{read_group}:rX,d:g:{write_group}:rwX,d:o::---"
    )
    _run("setfacl", "-R", "-m", spec, str(folder))


def grant_reading(folder: Path, read_group: str) -> None:
    """Only `read_group` (and root) may read `folder`, now and what is written there later."""
    if shutil.which("setfacl") is None:
        raise UnixError("setfacl is missing: install the Debian package 'acl'")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o750)
    _run(
        "setfacl", "-R", "-m", f"g:{read_group}:rX,o::---,d:g:{read_group}:rX,d:o::---", str(folder)
    )
