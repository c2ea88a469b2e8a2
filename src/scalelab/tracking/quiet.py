"""MLflow without its usage reports: set in every process of ScaleLab that runs MLflow.

MLflow's client, server and UI send usage data to MLflow's own hosts unless told not to. A lab
may not reach the internet at all, and must not send what its people do anywhere unasked.
"""

from __future__ import annotations

NO_TELEMETRY: dict[str, str] = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
