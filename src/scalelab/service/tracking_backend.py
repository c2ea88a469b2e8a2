"""One project's MLflow server, as the service starts it:
`python -m scalelab.service.tracking_backend <mlflow server options>`.

`mlflow server` runs uvicorn as a child process of its own, which a signal to `mlflow` alone
leaves running. Started in a session of its own, this launcher ends the whole group (mlflow and
its uvicorn) when the service that started it is gone, however the service ended.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time


def _end_group_when_orphaned(parent: int, interval: float = 1.0) -> None:
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os.killpg(os.getpgid(0), signal.SIGTERM)
            return


def main(argv: list[str]) -> None:
    threading.Thread(target=_end_group_when_orphaned, args=(os.getppid(),), daemon=True).start()
    from mlflow.cli import cli

    cli.main(args=["server", *argv], prog_name="mlflow")


if __name__ == "__main__":
    main(sys.argv[1:])
