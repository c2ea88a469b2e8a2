"""Notebook widgets (anywidget, no build step): MLflow runs, Optuna studies and model
endpoints, live; data drift between monitoring profiles."""

from __future__ import annotations

from .deployments import DeploymentPanel
from .drift import DriftReport
from .experiments import ExperimentBoard
from .tuning import TuningMonitor

__all__ = ["DeploymentPanel", "DriftReport", "ExperimentBoard", "TuningMonitor"]
