"""Tables of the ScaleLab service. Every change here comes with an alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ..runs.job import ExecutionOptions, Job

# Named constraints keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    """A JupyterHub user or service as ScaleLab has seen it, with its ScaleLab preferences."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="user")
    admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class ProjectRow(Base):
    """A shared project: its workspace folder is named by the slug."""

    __tablename__ = "projects"
    # Ids are never handed out twice (SQLite reuses the highest rowid without AUTOINCREMENT):
    # work still under way for a deleted project must not land in the next one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    members: Mapped[list[MembershipRow]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class MembershipRow(Base):
    """A JupyterHub user or group holding a role in a project."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "name"),
        Index("ix_memberships_principal", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # user | group
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    added_by: Mapped[str] = mapped_column(String(255), nullable=False)

    project: Mapped[ProjectRow] = relationship(back_populates="members")


class AuditRow(Base):
    """Who changed what in a project, and when. Kept after the project is deleted.

    Keyed by the project's id, which is never reused: whoever re-creates a deleted project's
    slug does not read its history. `project` keeps the slug as it was, for reading.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    # No foreign key: the history outlives the project.
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    project: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class RunRow(Base):
    """One run of a notebook or pipeline in a project. `record` is the full run record."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_project_created", "project_id", "created_at"),
        Index("ix_runs_schedule", "schedule_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[str] = mapped_column(String(1024), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    triggered_by: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # The service process executing the run: only it may close the run as interrupted.
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True
    )
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ScheduleRow(Base):
    """A job (notebook or pipeline with parameters and options) promoted to a cron schedule."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        # The scheduler's one query per tick: what is due, in order. Paused schedules have none.
        Index("ix_schedules_next_fire_at", "next_fire_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    target: Mapped[str] = mapped_column(String(1024), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    cron: Mapped[str] = mapped_column(String(120), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    misfire: Mapped[str] = mapped_column(String(16), nullable=False)
    misfire_deadline_s: Mapped[int] = mapped_column(Integer, nullable=False)
    concurrency: Mapped[str] = mapped_column(String(16), nullable=False)
    notify: Mapped[str] = mapped_column(String(16), nullable=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def job(self) -> Job:
        """What the schedule runs. An option absent from `options` (or null) is unset: each
        run gets the executor's setting of the day, not the one of the day it was stored."""
        return Job(
            target=self.target,
            parameters=dict(self.parameters or {}),
            options=ExecutionOptions.model_validate(self.options or {}),
        )

    @job.setter
    def job(self, job: Job) -> None:
        self.target = job.target
        self.parameters = dict(job.parameters)
        self.options = job.options.given()


class ScheduleEventRow(Base):
    """What happened at one fire time of a schedule: a run queued, a miss, a skip.

    One row per schedule and fire time: the unique key is what makes a tick fire once even when
    two service processes race for it.
    """

    __tablename__ = "schedule_events"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    worker: Mapped[str] = mapped_column(String(255), nullable=False)
    detail: Mapped[str] = mapped_column(String(1024), nullable=False, default="")


class NotificationRow(Base):
    """A message for the members of a project (shown in the lab), and its webhook delivery.

    The delivery lives here, not in memory, so that one pending when the service stops is sent
    after the next start: `webhook` is the state everyone may see ('', pending, delivered,
    failed), `webhook_detail` what editors see (status codes, errors), `webhook_next_at` when
    the next attempt is due (set only while pending; a process sending it pushes it forward).
    """

    __tablename__ = "notifications"
    # Ids only grow: the lab asks for what came after the last one it showed.
    __table_args__ = (
        Index("ix_notifications_project", "project_id", "id"),
        Index("ix_notifications_webhook_next_at", "webhook_next_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    message: Mapped[str] = mapped_column(String(2048), nullable=False)
    links: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    webhook: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    webhook_detail: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    webhook_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    webhook_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeploymentRow(Base):
    """A model endpoint of a project: its versions per colour, traffic split and replicas.

    `blue`, `green` and `previous` describe model versions (model_uri, model_name, version,
    run_id); the deployer owns their shape. `previous` is what was live before the last switch,
    for a rollback. `green_share` is the percent of requests green gets (0..100).
    """

    __tablename__ = "deployments"
    # The unique key leads with project_id: it is the index for a project's endpoints.
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    # None is SQL NULL, not a JSON null, so that "no green" reads the same on both backends.
    blue: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    green: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    green_share: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    min_replicas: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_replicas: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    replicas: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    request_log_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    created_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DeploymentEventRow(Base):
    """The history of an endpoint: deploys, switches, rollbacks, scaling, keys, failures."""

    __tablename__ = "deployment_events"
    __table_args__ = (Index("ix_deployment_events_deployment", "deployment_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    message: Mapped[str] = mapped_column(String(2000), nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class EndpointKeyRow(Base):
    """A key that lets a client call an endpoint. Only the key's sha256 digest is kept;
    `prefix` (its first characters) tells keys apart in lists."""

    __tablename__ = "endpoint_keys"
    __table_args__ = (Index("ix_endpoint_keys_deployment_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False
    )
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PredictionLabelRow(Base):
    """The ground truth of one prediction, posted after the fact: joined to the request log's
    prediction by the request id the gateway answered with. A later label replaces it."""

    __tablename__ = "prediction_labels"
    __table_args__ = (
        UniqueConstraint("deployment_id", "request_id"),
        Index("ix_prediction_labels_deployment_at", "deployment_id", "labelled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False
    )
    request_id: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[Any] = mapped_column(JSON, nullable=True)
    labelled_by: Mapped[str] = mapped_column(String(200), nullable=False)
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MonitorRow(Base):
    """Checks of one endpoint or one data set on a cron: drift of an endpoint's requests
    against the live model's reference profile and, with labels, the model's score; or drift
    of a pipeline output's profiles against those of a reference run. On a breach an alert
    and, if asked, the retrain loop. `open_breach_id` is the breach under way: while it is
    set, checks that still fail belong to it, so one breach starts the loop once."""

    __tablename__ = "monitors"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_monitors_next_check_at", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    # An endpoint's monitor; or, without one, a data set's: {target, output, reference_run}.
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=True
    )
    dataset: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    cron: Mapped[str] = mapped_column(String(120), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    window_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    # DriftThresholds' fields, and how many drifted columns make a breach.
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    drifted_columns: Mapped[int] = mapped_column(Integer, nullable=False)
    min_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    metric: Mapped[str | None] = mapped_column(String(16), nullable=True)
    score_limit: Mapped[float | None] = mapped_column(Float, nullable=True)
    # {target, parameters, model_name, margin}: the retrain loop; null: alerts only.
    retrain: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    open_breach_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MonitorCheckRow(Base):
    """One check of a monitor. The unique (monitor, due) pair makes a check time run once,
    whichever service process claims it."""

    __tablename__ = "monitor_checks"
    __table_args__ = (
        UniqueConstraint("monitor_id", "due"),
        Index("ix_monitor_checks_monitor", "monitor_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False
    )
    due: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # running, ok, breach, error
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(String(2048), nullable=False, default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    breach_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MonitorBreachRow(Base):
    """A breach and its way back: every step of the retrain loop in `steps`, its state moved
    forward by compare-and-set (`store.monitors.advance`), so no step is taken twice."""

    __tablename__ = "monitor_breaches"
    __table_args__ = (Index("ix_monitor_breaches_monitor", "monitor_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False
    )
    check_id: Mapped[int] = mapped_column(Integer, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(String(2048), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    retrain_run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision: Mapped[str] = mapped_column(String(2048), nullable=False, default="")
    steps: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
