"""prediction labels: ground truth posted for logged predictions, by request id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from scalelab.store.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prediction_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.JSON(), nullable=True),
        sa.Column("labelled_by", sa.String(length=200), nullable=False),
        sa.Column("labelled_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_prediction_labels_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction_labels")),
        sa.UniqueConstraint(
            "deployment_id", "request_id", name=op.f("uq_prediction_labels_deployment_id")
        ),
    )
    op.create_index(
        "ix_prediction_labels_deployment_at",
        "prediction_labels",
        ["deployment_id", "labelled_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_prediction_labels_deployment_at", table_name="prediction_labels")
    op.drop_table("prediction_labels")
