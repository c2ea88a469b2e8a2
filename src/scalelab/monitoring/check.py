"""One drift check of an endpoint, as its own process: the service asks, this answers.

`python -m scalelab.monitoring.check SPEC` reads SPEC (JSON: `run_id` of the live model's
MLflow run and its `reference` name, the endpoint's `log_folder`, the `hours` of the window;
or, for a data set, `reference_file` and `current_files`, stored profiles; then `thresholds`,
the `dest` folder and a `title`), and writes `report.json` and `report.html` into `dest`,
each whole or not at all; the last line on stdout is the summary (JSON). MLflow's
own variables say where the project's server is and who asks ($MLFLOW_TRACKING_URI and
$MLFLOW_TRACKING_TOKEN, a reader's token). whylogs, pandas and the model's reference stay out
of the service's memory; a check that goes wrong fails alone, with one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .drift import DriftThresholds, categories
from .profiles import Profile, merge
from .quality import quality_issues
from .reference import load_reference
from .serving import window_profiles


def check(spec: dict[str, Any]) -> dict[str, Any]:
    from ..widgets.drift import DriftReport

    if "reference_file" in spec:  # a data set: profiles kept with pipeline runs
        reference = Profile.read(spec["reference_file"])
        current = merge(Profile.read(p) for p in spec["current_files"])
        requests = len(spec["current_files"])
    else:
        reference = load_reference(spec["run_id"], spec.get("reference", "training"))
        hours = window_profiles(Path(spec["log_folder"]), spec["hours"])
        current = merge(w.inputs for w in hours.values())
        requests = sum(w.requests for w in hours.values())
    thresholds = DriftThresholds(**spec.get("thresholds", {}))
    widget = DriftReport(reference, current, thresholds, title=spec.get("title", ""))
    if widget.error:
        raise RuntimeError(widget.error)
    dest = Path(spec["dest"])
    dest.mkdir(parents=True, exist_ok=True)
    widget.save_html(dest / "report.html")
    report = widget.report
    summary = {
        "rows": current.rows,
        "requests": requests,  # of a data set: the runs merged
        "columns": len(report),
        "drifted": [d.column for d in report if d.category == "drift"],
        "possible": [d.column for d in report if d.category == "possible drift"],
        "categories": categories(report),
        "issues": [
            {"column": i.column, "kind": i.kind, "detail": i.detail}
            for i in quality_issues(reference, current)
        ],
        "report": [
            {
                "column": d.column,
                "method": d.method,
                "score": d.score,
                "p_value": d.p_value,
                "category": d.category,
                "detail": d.detail,
            }
            for d in report
        ],
    }
    _write_whole(dest / "report.json", json.dumps(summary))
    return summary


def _write_whole(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m scalelab.monitoring.check SPEC.json", file=sys.stderr)
        return 2
    try:
        summary = check(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    except Exception as exc:  # one line for the monitor's history
        message = " ".join(str(exc).split())[:400]
        print(f"{type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in summary.items() if k != "report"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
