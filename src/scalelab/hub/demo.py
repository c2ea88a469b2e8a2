"""Demo accounts for a first start: generated once, kept in a private file, read by the hub."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEMO_ACCOUNTS = (("admin", "admin"), ("user", "alice"), ("user", "bob"))
HEADER = """\
# ScaleLab demo accounts, made on the first `scalelab up`. Keep this file private.
# Change a password at /hub/change-password once logged in.
# role  user  password
"""


@dataclass(frozen=True)
class Account:
    role: str  # "admin" or "user"
    name: str
    password: str


def read_accounts(path: Path) -> list[Account]:
    accounts = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or parts[0] not in ("admin", "user"):
            raise ValueError(f"{path}:{number}: expected 'admin|user NAME PASSWORD'")
        accounts.append(Account(*parts))
    return accounts


def ensure_accounts(path: Path) -> tuple[list[Account], bool]:
    """The accounts in `path`, creating the file with fresh passwords if it is missing.

    Returns the accounts and whether they were just created (so the caller shows them once).
    """
    if path.exists():
        return read_accounts(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    accounts = [Account(role, name, secrets.token_urlsafe(12)) for role, name in DEMO_ACCOUNTS]
    body = HEADER + "".join(f"{a.role}  {a.name}  {a.password}\n" for a in accounts)
    # Created 0600 from the start: the passwords never sit in a world-readable file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(body)
    return accounts, True
