"""Profiles of a pipeline run's output data sets, as their own process: the executor asks,
this answers.

`python -m scalelab.monitoring.batch DEST WORKDIR PATH...` profiles each PATH (CSV or Parquet,
relative to WORKDIR) and writes `DEST/<name>.whylogs`, each whole or not at all; the last
line on stdout maps each path to its file (JSON). CSV is read in chunks whose profiles are
merged, so a large file takes bounded memory. whylogs and pandas stay out of the service.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..paths import resolve_inside
from .profiles import Profile, merge, profile

CHUNK_ROWS = 200_000


def profile_name(path: str) -> str:
    """The profile's file name for output `path`: one flat name per path."""
    return path.replace("/", "__") + ".whylogs"


def profile_file(path: Path) -> Profile:
    if path.suffix == ".parquet":
        import pandas as pd

        return profile(pd.read_parquet(path))
    if path.suffix not in (".csv", ".tsv"):
        raise ValueError(f"{path.name}: profiles are made of CSV or Parquet files")
    import pandas as pd

    separator = "\t" if path.suffix == ".tsv" else ","
    chunks = pd.read_csv(path, sep=separator, chunksize=CHUNK_ROWS)
    return merge(profile(chunk) for chunk in chunks)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: python -m scalelab.monitoring.batch DEST WORKDIR PATH...", file=sys.stderr)
        return 2
    dest, workdir = Path(argv[0]), Path(argv[1])
    dest.mkdir(parents=True, exist_ok=True)
    written = {}
    try:
        for relative in argv[2:]:
            target = dest / profile_name(relative)
            # Followed now, not when the pipeline was read: a step may have made it a link
            # out of the project (to a file the service could read and its members not).
            profile_file(resolve_inside(workdir, relative)).write(target)
            written[relative] = target.name
    except Exception as exc:  # one line for the run's record
        message = " ".join(str(exc).split())[:400]
        print(f"{type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    print(json.dumps(written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
