"""monitors: scheduled checks of endpoints, their checks and breaches

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from scalelab.store.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=True),
        sa.Column("dataset", sa.JSON(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("window_hours", sa.Integer(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("drifted_columns", sa.Integer(), nullable=False),
        sa.Column("min_rows", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=True),
        sa.Column("score_limit", sa.Float(), nullable=True),
        sa.Column("retrain", sa.JSON(), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_check_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_check_at", UTCDateTime(), nullable=True),
        sa.Column("open_breach_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_monitors_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_monitors_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_monitors_project_id")),
    )
    op.create_index("ix_monitors_next_check_at", "monitors", ["next_check_at"])
    op.create_table(
        "monitor_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("due", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=2048), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("breach_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_checks_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_checks")),
        sa.UniqueConstraint("monitor_id", "due", name=op.f("uq_monitor_checks_monitor_id")),
    )
    op.create_index("ix_monitor_checks_monitor", "monitor_checks", ["monitor_id", "id"])
    op.create_table(
        "monitor_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("retrain_run_id", sa.String(length=40), nullable=True),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=2048), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_breaches_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_breaches")),
    )
    op.create_index("ix_monitor_breaches_monitor", "monitor_breaches", ["monitor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_monitor_breaches_monitor", table_name="monitor_breaches")
    op.drop_table("monitor_breaches")
    op.drop_index("ix_monitor_checks_monitor", table_name="monitor_checks")
    op.drop_table("monitor_checks")
    op.drop_index("ix_monitors_next_check_at", table_name="monitors")
    op.drop_table("monitors")
