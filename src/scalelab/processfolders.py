"""Temporary folders owned by one process, and the sweep of those whose process is gone.

Named `<prefix><pid>-<random>`, so the next process of the kind can tell which ones a killed
process left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def make_process_folder(prefix: str, mode: int) -> Path:
    """A new folder of this process in the temporary folder, after sweeping stale ones."""
    sweep_stale_folders(prefix)
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    path.chmod(mode)
    return path


def sweep_stale_folders(prefix: str) -> None:
    """Remove this account's `prefix` folders whose process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(prefix + "*"):
        pid = folder.name[len(prefix) :].partition("-")[0]
        try:
            if not pid.isdigit() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # alive (as another user), or gone meanwhile
