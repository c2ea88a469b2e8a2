"""The environment of processes that run people's code for the service: run kernels, their
fork server, model replicas and model downloads.

The service's own environment holds its credentials: the hub API token JupyterHub gives a
service (`JUPYTERHUB_API_TOKEN`, `JPY_API_TOKEN`), its OAuth client settings and its whole
configuration (`SCALELAB_CONFIG_JSON`, which may hold database passwords). Code of a project
must not find them, neither in `os.environ` nor in `/proc/self/environ` (which keeps the
environment a process started with, so a forked child must start clean too).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Whole families the hub and its proxy hand their services.
DROPPED_PREFIXES = ("JUPYTERHUB_", "JPY_", "CONFIGPROXY_")
DROPPED_NAMES = frozenset({"SCALELAB_CONFIG_JSON", "SCALELAB_SECTIONS_JSON"})
# And anything named like a credential, whoever set it.
CREDENTIAL = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|_KEY$", re.IGNORECASE)


def is_private(name: str) -> bool:
    return (
        name.startswith(DROPPED_PREFIXES)
        or name in DROPPED_NAMES
        or CREDENTIAL.search(name) is not None
    )


def child_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without the service's credentials."""
    source = os.environ if base is None else base
    return {name: value for name, value in source.items() if not is_private(name)}
