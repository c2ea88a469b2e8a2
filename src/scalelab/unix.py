"""Unix accounts, groups and ACLs: how the system-users mode makes the OS enforce roles."""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .dataroot import DataRoot

UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Accounts outside this range are the system's (root, daemon, www-data ..., nobody): a hub user
# who happens to share such a name must not get its rights.
PERSON_UIDS = range(1000, 65534)


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
        account = pwd.getpwnam(name)
    except KeyError:
        pass
    else:
        if account.pw_uid not in PERSON_UIDS:
            raise UnixError(
                f"{name!r} is a system account (uid {account.pw_uid}); no server runs as it"
            )
        return account
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
    # A home left by the local mode (made by root) is not handed over by useradd.
    _run("chown", "-R", f"{name}:{name}", str(home_root / name))
    # useradd's default home mode lets everyone read it; a person's files are theirs alone.
    (home_root / name).chmod(0o700)
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


def seal_data_root(root: Path) -> None:
    """Users may pass through `root` to their homes, workspaces and run outputs, and do nothing
    else there: not list it, not read the databases, cookie secrets, credentials or trash.

    Search-only (0711) on the shared folders: a server reaches a workspace by its name, and
    nobody learns the names of projects or people they are not given.
    """
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    for name in DataRoot.SHARED + DataRoot.PRIVATE:  # else made later, world-readable
        (root / name).mkdir(exist_ok=True)
    for entry in root.iterdir():
        if entry.is_symlink():
            continue
        if entry.name in DataRoot.SHARED:
            entry.chmod(0o711)
        else:
            entry.chmod(0o700 if entry.is_dir() else 0o600)


_OTHERS = {"r": stat.S_IROTH, "w": stat.S_IWOTH, "x": stat.S_IXOTH}


def _lacks(path: Path, need: str) -> str:
    mode = path.stat().st_mode
    return "".join(bit for bit in need if not mode & _OTHERS[bit])


def unreachable(needs: Mapping[Path, str]) -> tuple[Path, str] | None:
    """The first place an unprivileged account cannot get through, and the permission bits
    ("r", "x") it lacks there; None when it can reach every path of `needs` with the bits
    given for it.

    Judged by the bits for others: an account made by `useradd` is in no group that owns the
    folders of an installation. Paths that do not exist are skipped.
    """
    for target, need in needs.items():
        if not target.exists():
            continue
        # The path as written and the one its symlinks lead to: both must be passable.
        for path in dict.fromkeys((target.absolute(), target.resolve())):
            for folder in reversed(path.parents):
                if missing := _lacks(folder, "x"):
                    return folder, missing
            if missing := _lacks(path, need):
                return path, missing
    return None


def give_tree(top: Path, account: str) -> None:
    """`top` and all below it owned by `account` (and its group), `top` closed to others."""
    entry = pwd.getpwnam(account)
    for folder, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    os.chown(top, entry.pw_uid, entry.pw_gid)
    top.chmod(0o700)
