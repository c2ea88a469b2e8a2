"""webhook deliveries: kept in the database with their retries; coarse state and detail apart

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from scalelab.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both backends: a batch rebuild on SQLite would drop
    # the AUTOINCREMENT the table got in 0005.
    op.add_column("notifications", sa.Column("webhook_url", sa.String(length=2048), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("webhook_detail", sa.String(length=255), nullable=False, server_default=""),
    )
    op.add_column(
        "notifications",
        sa.Column("webhook_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("notifications", sa.Column("webhook_next_at", UTCDateTime(), nullable=True))
    op.create_index("ix_notifications_webhook_next_at", "notifications", ["webhook_next_at"])
    # The old column held the detail ("sent (attempt 2)", "failed after 4 attempts: ...").
    # Deliveries pending before this version were in the memory of a process long gone and
    # have no URL to go to: they failed.
    op.execute("UPDATE notifications SET webhook_detail = webhook WHERE webhook <> ''")
    op.execute("UPDATE notifications SET webhook = 'delivered' WHERE webhook LIKE 'sent%'")
    op.execute(
        "UPDATE notifications SET webhook = 'failed',"
        " webhook_detail = 'the service stopped before it was sent'"
        " WHERE webhook = 'pending'"
    )
    op.execute(
        "UPDATE notifications SET webhook = 'failed'"
        " WHERE webhook NOT IN ('', 'delivered', 'failed')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE notifications SET webhook = webhook_detail"
        " WHERE webhook_detail <> '' AND webhook <> 'pending'"
    )
    op.drop_index("ix_notifications_webhook_next_at", table_name="notifications")
    # SQLite rebuilds the table to drop columns: keep the AUTOINCREMENT of 0005.
    with op.batch_alter_table(
        "notifications", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("webhook_next_at")
        batch.drop_column("webhook_attempts")
        batch.drop_column("webhook_detail")
        batch.drop_column("webhook_url")
