"""MLflow (and whylogs) without usage reports: set in every process of ScaleLab that runs them.

MLflow's client, server and UI, and whylogs at import, send usage data to their own hosts
unless told not to. A lab
may not reach the internet at all, and must not send what its people do anywhere unasked.
"""

from __future__ import annotations

NO_TELEMETRY: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "WHYLOGS_NO_ANALYTICS": "True",
    "DO_NOT_TRACK": "true",
}
