"""Notebook widgets (anywidget, no build step): MLflow runs, Optuna studies and model
endpoints, live."""

from __future__ import annotations

from .deployments import DeploymentPanel
from .experiments import ExperimentBoard
from .tuning import TuningMonitor

__all__ = ["DeploymentPanel", "ExperimentBoard", "TuningMonitor"]
