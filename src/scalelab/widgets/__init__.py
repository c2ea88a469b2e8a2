"""Notebook widgets (anywidget, no build step): MLflow runs and Optuna studies, live."""

from __future__ import annotations

from .experiments import ExperimentBoard
from .tuning import TuningMonitor

__all__ = ["ExperimentBoard", "TuningMonitor"]
