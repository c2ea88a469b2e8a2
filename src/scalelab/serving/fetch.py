"""Copy a registered model out of a project's MLflow server into the folder replicas load.

`python -m scalelab.serving.fetch MODEL_URI DEST`, with MLflow's own variables saying where the
server is and who asks ($MLFLOW_TRACKING_URI, $MLFLOW_TRACKING_TOKEN). Replicas never talk to
MLflow: a restarted replica, or the service brought back after a restart, loads the copy.
The copy appears whole or not at all: downloaded beside DEST, then renamed onto it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path


def fetch(model_uri: str, dest: Path) -> Path:
    """DEST holding the model (its MLmodel file at the top); kept if it is already there."""
    if (dest / "MLmodel").is_file():
        return dest
    import mlflow.artifacts

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        local = Path(mlflow.artifacts.download_artifacts(model_uri, dst_path=str(staging)))
        model = local if (local / "MLmodel").is_file() else _find_model(local)
        shutil.rmtree(dest, ignore_errors=True)
        model.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _find_model(folder: Path) -> Path:
    found = sorted(p.parent for p in folder.rglob("MLmodel"))
    if not found:
        raise FileNotFoundError("the artifacts hold no MLmodel file: not an MLflow model")
    return found[0]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m scalelab.serving.fetch MODEL_URI DEST", file=sys.stderr)
        return 2
    try:
        fetch(argv[0], Path(argv[1]))
    except Exception as exc:  # one line for the service's log and the deployment's history
        message = " ".join(str(exc).split())[:400]
        print(f"cannot fetch {argv[0]}: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
