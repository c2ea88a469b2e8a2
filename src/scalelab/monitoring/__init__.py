"""Monitoring data and models: profiles of training, serving and batch data (whylogs sketches,
merged into time windows), drift per column between two profiles, and data-quality issues."""

from .drift import ColumnDrift, DriftThresholds, drift_report
from .profiles import ColumnSummary, Distribution, FrequentItems, Profile, merge, profile
from .quality import QualityIssue, quality_issues

__all__ = [
    "ColumnDrift",
    "ColumnSummary",
    "Distribution",
    "DriftThresholds",
    "FrequentItems",
    "Profile",
    "QualityIssue",
    "drift_report",
    "merge",
    "profile",
    "quality_issues",
]
