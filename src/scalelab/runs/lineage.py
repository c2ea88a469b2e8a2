"""Content hashes of what a step read and wrote, and of the environment it ran in."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from functools import cache
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

KEY_PACKAGES = ("scalelab", "papermill", "ipykernel", "pandas", "numpy", "scikit-learn", "mlflow")


def file_sha256(path: Path) -> str | None:
    """sha256 of a file (None if missing); of a folder, over its files' names and contents."""
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode())
            digest.update((file_sha256(child) or "").encode())
        return digest.hexdigest()
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_files(folder: Path, paths: list[str]) -> dict[str, str | None]:
    return {p: file_sha256(folder / p) for p in paths}


@cache
def environment() -> dict[str, Any]:
    """Python, platform, key package versions, and one hash over every installed package."""
    packages = sorted(
        (d.metadata["Name"] or "?", d.version) for d in distributions() if d.metadata["Name"]
    )
    versions = {name.lower(): version for name, version in packages}
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": {name: versions.get(name) for name in KEY_PACKAGES},
        "packages_sha256": hashlib.sha256(json.dumps(packages).encode()).hexdigest(),
    }


def cache_key(
    notebook_sha: str,
    parameters: dict[str, Any],
    inputs: dict[str, str | None],
    kernel: str,
    upstream: list[str],
) -> str:
    """Same notebook, parameters, inputs, kernel, packages and upstream steps: same key, so an
    earlier result may stand in. `upstream` holds the keys of the steps this one needs, since
    a step may read what they wrote without declaring it as an input."""
    blob = json.dumps(
        {
            "notebook": notebook_sha,
            "parameters": parameters,
            "inputs": inputs,
            "kernel": kernel,
            "packages": environment()["packages_sha256"],
            "upstream": upstream,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()
