"""Monitoring data and models: profiles of training, serving and batch data (whylogs sketches,
merged into time windows), drift per column between two profiles, and data-quality issues.
Reference profiles are saved with models' MLflow runs; serving windows come from endpoints'
request logs, profiled an hour at a time; labels posted later score the model."""

from .drift import ColumnDrift, DriftThresholds, drift_report
from .labels import log_labels
from .profiles import ColumnSummary, Distribution, FrequentItems, Profile, merge, profile
from .quality import QualityIssue, quality_issues
from .reference import MissingReference, load_reference, log_reference
from .scores import ModelScore, model_score
from .serving import (
    WindowProfiles,
    frame_of,
    predictions_by_request,
    predictions_of,
    window,
    window_profiles,
)

__all__ = [
    "ColumnDrift",
    "ColumnSummary",
    "Distribution",
    "DriftThresholds",
    "FrequentItems",
    "MissingReference",
    "ModelScore",
    "Profile",
    "QualityIssue",
    "WindowProfiles",
    "drift_report",
    "frame_of",
    "load_reference",
    "log_labels",
    "log_reference",
    "merge",
    "model_score",
    "predictions_by_request",
    "predictions_of",
    "profile",
    "quality_issues",
    "window",
    "window_profiles",
]
