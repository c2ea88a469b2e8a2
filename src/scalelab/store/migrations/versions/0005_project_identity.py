"""project identity: ids never reused; the audit log keyed by project id

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Tables whose ids must only grow. PostgreSQL sequences never go back; SQLite needs
# AUTOINCREMENT, which only a rebuilt table gets (Store.upgrade turns foreign keys off for it).
GROWING = ("projects", "notifications")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in GROWING:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.drop_index("ix_audit_events_project")
        batch.create_index("ix_audit_events_project_id", ["project_id", "id"])
    # Events of a project that still exists are its own, unless they are older than it: those
    # belong to an earlier project of the same slug, deleted since, and stay with none.
    sqlite = op.get_bind().dialect.name == "sqlite"
    a_second_before = (
        "datetime(projects.created_at, '-1 second')"
        if sqlite
        else "projects.created_at - interval '1 second'"
    )
    op.execute(
        "UPDATE audit_events SET project_id = (SELECT projects.id FROM projects"
        " WHERE projects.slug = audit_events.project"
        f" AND audit_events.at >= {a_second_before})"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_project_id")
        batch.create_index("ix_audit_events_project", ["project", "id"])
        batch.drop_column("project_id")
