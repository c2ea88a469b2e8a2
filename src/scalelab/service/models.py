"""Pydantic models of the REST API.

The extension's API types are generated from them (`make api-types`), as
extension/src/common/openapi.ts.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..runs.job import MAX_RETRIES, ExecutionOptions, Job
from ..runs.records import Status as RunStatus
from ..serving.policy import ENDPOINT_NAME

MAX_PREFERENCES_BYTES = 64 * 1024


class ErrorModel(BaseModel):
    """The body of every error response."""

    status: int
    message: str
    request_id: str | None = None


class UserModel(BaseModel):
    """The authenticated caller."""

    name: str
    kind: Literal["user", "service"]
    admin: bool = Field(description="JupyterHub admin: may do everything in every project")
    groups: list[str]


class DatabaseHealth(BaseModel):
    ok: bool
    backend: str = Field(description="sqlite or postgresql")
    error: str | None = None


class DeploymentHealth(BaseModel):
    mode: str = Field(description="the hub's deployment mode: local or system-users")
    roles_hold_for_kernels: bool = Field(
        description="whether the OS keeps each user's kernels to their project roles; false: "
        "every kernel runs as one OS account and can read every project"
    )


class HealthModel(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: DatabaseHealth
    deployment: DeploymentHealth


class PreferencesModel(BaseModel):
    """Free-form settings of one user, such as the project last opened in the panel."""

    model_config = ConfigDict(extra="forbid")

    preferences: dict[str, Any]

    @field_validator("preferences")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value))
        if size > MAX_PREFERENCES_BYTES:
            raise ValueError(
                f"preferences take {size} bytes as JSON, "
                f"more than the {MAX_PREFERENCES_BYTES} allowed"
            )
        return value


Role = Literal["viewer", "runner", "editor", "deployer", "owner"]
PrincipalKind = Literal["user", "group"]
TemplateName = Literal["empty", "example"]


class ProjectModel(BaseModel):
    slug: str
    title: str
    archived: bool
    created_at: datetime
    created_by: str
    my_role: Role | None = Field(
        description="The caller's role; null for a JupyterHub admin who is not a member"
    )
    workspace: str = Field(description="Folder of the project in JupyterLab's file browser")


class ProjectList(BaseModel):
    projects: list[ProjectModel]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="3-40 characters: lowercase letters, digits and dashes")
    title: str | None = Field(default=None, max_length=200)
    template: TemplateName = "empty"


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)


class DeletedProject(BaseModel):
    slug: str
    archive: str = Field(description="Where the workspace was archived before deletion")


class MemberModel(BaseModel):
    kind: PrincipalKind
    name: str
    role: Role


class MemberList(BaseModel):
    members: list[MemberModel]


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class AuditEvent(BaseModel):
    id: int
    at: datetime
    actor: str
    project: str
    action: str
    details: dict[str, Any]


class AuditList(BaseModel):
    events: list[AuditEvent]


class ParameterModel(BaseModel):
    name: str
    type: str = Field(description="int, float, str, bool, list, dict, or None for any")
    default: Any = Field(
        description="the default as a JSON value: the literal assigned in the notebook's "
        "parameters cell, or the pipeline's value; null when default_source is set"
    )
    default_source: str | None = Field(
        default=None,
        description="null when `default` is the default; otherwise the Python source of a "
        "default that is no JSON literal (an expression such as `date.today()`, a tuple), "
        "computed by the notebook when the run leaves it unset",
    )
    help: str


class ParametersModel(BaseModel):
    path: str
    kind: Literal["notebook", "pipeline"]
    parameters: list[ParameterModel]
    steps: list[str] = Field(default_factory=list, description="a pipeline's steps, in order")


OPTION_FIELDS = ExecutionOptions.model_fields


class RunCreate(BaseModel):
    """A job to run now. Options left out (or null) take the executor's settings
    (`c.LocalExecutor.fresh`, `.retries`, `.step_timeout`)."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="notebook or pipeline.yaml, relative to the workspace")
    parameters: dict[str, Any] = Field(default_factory=dict)
    fresh: bool | None = Field(default=None, description=OPTION_FIELDS["fresh"].description)
    timeout: float | None = Field(
        default=None, gt=0, description=OPTION_FIELDS["timeout"].description
    )
    retries: int | None = Field(
        default=None, ge=0, le=MAX_RETRIES, description=OPTION_FIELDS["retries"].description
    )

    def job(self) -> Job:
        return Job(
            target=self.target,
            parameters=self.parameters,
            options=ExecutionOptions(fresh=self.fresh, retries=self.retries, timeout=self.timeout),
        )


class StepModel(BaseModel):
    name: str
    notebook: str
    status: RunStatus
    parameters: dict[str, Any]
    kernel: str
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str | None
    failed_cell: int | None
    reused_from: str | None
    output: str | None = Field(description="output notebook in the lab: runs/<slug>/<id>/...")
    lineage: dict[str, Any] | None
    tracking_run_id: str | None = Field(
        default=None, description="the step's MLflow run (a pipeline's steps: nested runs)"
    )
    profiles: dict[str, str] = Field(
        default_factory=dict,
        description="output path -> its data profile in the run folder (steps that profile)",
    )


class MlflowRunModel(BaseModel):
    experiment_id: str
    run_id: str
    url: str = Field(description="the run in the project's MLflow UI")


class RunModel(BaseModel):
    id: str
    project: str
    kind: Literal["notebook", "pipeline"]
    target: str
    status: RunStatus
    trigger: str
    triggered_by: str
    parameters: dict[str, Any]
    executor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    queue_position: int | None = Field(
        default=None,
        description="while queued, waiting for an executor slot: its place, 1 being next",
    )
    environment: dict[str, Any]
    steps: list[StepModel]
    tracking: MlflowRunModel | None = Field(
        default=None, description="the run's MLflow run in the project's experiment"
    )


class RunList(BaseModel):
    runs: list[RunModel]


class NotebookDiff(BaseModel):
    base: str = Field(description="run id of the older run")
    remote: str = Field(description="run id of the newer run")
    step: str
    base_notebook: dict[str, Any]
    diff: list[dict[str, Any]] = Field(description="nbdime's diff of the two output notebooks")


MisfirePolicy = Literal["skip", "run_once"]
ConcurrencyPolicy = Literal["allow", "forbid", "replace"]
NotifyWhen = Literal["failure", "always", "never"]
WEBHOOK_URL = r"^(https?://[^\s/]+(/\S*)?)?$"


class ScheduleSettings(BaseModel):
    """What a schedule runs and when; every field optional, for edits."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    target: str | None = Field(
        default=None, description="notebook or pipeline.yaml, relative to the workspace"
    )
    parameters: dict[str, Any] | None = None
    cron: str | None = Field(
        default=None, description="five fields: minute hour day-of-month month day-of-week"
    )
    timezone: str | None = Field(default=None, description="IANA name, e.g. Europe/Paris")
    timeout: float | None = Field(
        default=None, gt=0, description=OPTION_FIELDS["timeout"].description
    )
    retries: int | None = Field(
        default=None, ge=0, le=MAX_RETRIES, description=OPTION_FIELDS["retries"].description
    )
    fresh: bool | None = Field(default=None, description=OPTION_FIELDS["fresh"].description)
    misfire: MisfirePolicy | None = Field(
        default=None,
        description="fire times missed while the service was down: skip them (recorded), "
        "or run_once: one catch-up run if within misfire_deadline",
    )
    misfire_deadline: int | None = Field(
        default=None, ge=60, le=7 * 86400, description="seconds; older misses are not caught up"
    )
    concurrency: ConcurrencyPolicy | None = Field(
        default=None,
        description="when the previous run is still going: allow, forbid (record a skip), "
        "replace (cancel the old run)",
    )
    notify: NotifyWhen | None = Field(
        default=None, description="notify project members (and the webhook) on..."
    )
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=WEBHOOK_URL,
        description="Slack-compatible incoming webhook; empty string removes it",
    )
    paused: bool | None = None


class ScheduleCreate(ScheduleSettings):
    name: str = Field(min_length=1, max_length=100)
    target: str = Field(description="notebook or pipeline.yaml, relative to the workspace")
    cron: str = Field(description="five fields: minute hour day-of-month month day-of-week")
    timezone: str = "UTC"
    parameters: dict[str, Any] = Field(default_factory=dict)
    # Scheduled runs compute anew unless asked otherwise: a nightly job that reused
    # yesterday's steps would report yesterday. null hands the choice to the executor.
    fresh: bool | None = Field(
        default=True,
        description="run every step, reusing nothing (true unless given); null: the "
        "executor's setting (c.LocalExecutor.fresh)",
    )
    misfire: MisfirePolicy = "run_once"
    misfire_deadline: int = Field(default=3600, ge=60, le=7 * 86400)
    concurrency: ConcurrencyPolicy = "forbid"
    notify: NotifyWhen = "failure"
    paused: bool = False

    def job(self) -> Job:
        return Job(
            target=self.target,
            parameters=self.parameters,
            options=ExecutionOptions(fresh=self.fresh, retries=self.retries, timeout=self.timeout),
        )


class ScheduleUpdate(ScheduleSettings):
    """Fields to change; those left out stay as they are."""


class ScheduleModel(BaseModel):
    id: int
    project: str
    name: str
    target: str
    parameters: dict[str, Any]
    cron: str
    timezone: str
    timeout: float | None = Field(description=OPTION_FIELDS["timeout"].description)
    retries: int | None = Field(description=OPTION_FIELDS["retries"].description)
    fresh: bool | None = Field(description=OPTION_FIELDS["fresh"].description)
    misfire: MisfirePolicy
    misfire_deadline: int
    concurrency: ConcurrencyPolicy
    notify: NotifyWhen
    webhook: str | None = Field(description="where the webhook goes (scheme and host only)")
    webhook_url: str | None = Field(
        default=None,
        description="the webhook URL: whole for editors and above; for others with the user, "
        "password, query values and path past its first segment replaced by ***",
    )
    paused: bool
    next_fire_at: datetime | None = Field(description="null while paused")
    next_fire_times: list[datetime] = Field(description="the next five, whether paused or not")
    last_fire_at: datetime | None
    last_run_id: str | None
    last_status: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime


class ScheduleList(BaseModel):
    schedules: list[ScheduleModel]


class ScheduleEvent(BaseModel):
    due_at: datetime = Field(description="the fire time")
    at: datetime = Field(description="when the scheduler handled it")
    outcome: Literal["starting", "queued", "missed", "skipped", "failed"]
    run_id: str | None
    run_status: str | None
    detail: str


class ScheduleHistory(BaseModel):
    schedule: int
    events: list[ScheduleEvent]


class CronPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cron: str
    timezone: str = "UTC"


class CronPreview(BaseModel):
    cron: str
    timezone: str
    next_fire_times: list[datetime]
    shortest_interval: float = Field(description="seconds between the closest two fire times")


class NotificationModel(BaseModel):
    id: int
    project: str
    at: datetime
    level: Literal["error", "warning", "success", "info"]
    title: str
    message: str
    links: dict[str, str] = Field(
        description="output: the output notebook; diff: against the last successful run"
    )
    run_id: str | None
    schedule_id: int | None
    webhook: Literal["", "pending", "delivered", "failed"] = Field(
        description="webhook delivery: '' (no webhook), pending (retries included), "
        "delivered or failed"
    )
    webhook_detail: str | None = Field(
        default=None,
        description="for editors and above: attempts, status code or error; null for others",
    )


class NotificationList(BaseModel):
    notifications: list[NotificationModel]


MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$"
ALIAS = r"^[A-Za-z][A-Za-z0-9_-]{0,62}$"


class ModelVersionModel(BaseModel):
    version: str
    run_id: str | None
    source: str
    status: str
    created_at: datetime
    created_by: str | None
    aliases: list[str]
    scalelab_run_id: str | None = Field(description="the ScaleLab run whose MLflow run made it")


class RegisteredModelModel(BaseModel):
    name: str
    created_at: datetime
    updated_at: datetime
    versions: list[ModelVersionModel] = Field(description="newest first: the registry's history")
    url: str = Field(description="the model in the project's MLflow UI")


class RegisteredModelList(BaseModel):
    models: list[RegisteredModelModel]


class ModelRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="a ScaleLab run id (its MLflow run) or an MLflow run id of the project",
    )
    name: str = Field(pattern=MODEL_NAME, description="the registered model; made if missing")
    artifact_path: str = Field(
        default="model", pattern=r"^[A-Za-z0-9_.\-/]{1,200}$", description="the model in the run"
    )
    aliases: list[Annotated[str, Field(pattern=ALIAS)]] = Field(
        default_factory=list, max_length=10, description="e.g. champion, challenger"
    )

    @field_validator("artifact_path")
    @classmethod
    def _inside_the_run(cls, value: str) -> str:
        if ".." in value.split("/") or value.startswith("/"):
            raise ValueError("a path inside the run's artifacts, without '..'")
        return value


class AliasUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=r"^[0-9]{1,9}$")


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=ENDPOINT_NAME, description="the endpoint's name, in its URL")
    model_uri: str = Field(
        min_length=1,
        max_length=500,
        description="models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH",
    )
    min_replicas: int = Field(1, ge=1)
    max_replicas: int = Field(1, ge=1)
    request_log_rate: float = Field(
        0.0, ge=0, le=1, description="share of requests written to the request log"
    )


class DeploymentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_replicas: int | None = Field(None, ge=1)
    max_replicas: int | None = Field(None, ge=1)
    request_log_rate: float | None = Field(None, ge=0, le=1)


class VersionDeploy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_uri: str = Field(min_length=1, max_length=500)
    canary: int = Field(
        0,
        ge=0,
        le=99,
        description="percent of traffic the new version gets first; 0 switches all at once",
    )


class DeployedVersion(BaseModel):
    uri: str
    name: str | None
    version: str | None
    run_id: str | None


class ReplicaModel(BaseModel):
    id: str
    colour: str
    version: str
    ready: bool
    in_flight: int
    served: int


class DeploymentStats(BaseModel):
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    error_rate: float | None
    in_flight: int


class DeploymentModel(BaseModel):
    name: str
    state: str
    url: str = Field(description="where predictions are asked for (POST)")
    blue: DeployedVersion | None
    green: DeployedVersion | None
    previous: DeployedVersion | None
    green_share: int
    min_replicas: int
    max_replicas: int
    request_log_rate: float
    replicas: list[ReplicaModel]
    stats: DeploymentStats
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class DeploymentList(BaseModel):
    deployments: list[DeploymentModel]


class DeploymentEventModel(BaseModel):
    id: int
    at: datetime
    kind: str
    actor: str
    version: str | None
    message: str


class DeploymentEventList(BaseModel):
    events: list[DeploymentEventModel]


class EndpointKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=100)


class EndpointKeyModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    label: str
    prefix: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class EndpointKeyCreated(BaseModel):
    key: str = Field(description="the key itself: shown this once, stored only hashed")
    info: EndpointKeyModel


class EndpointKeyList(BaseModel):
    keys: list[EndpointKeyModel]


class PredictionLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="the X-Request-Id the prediction was answered with (or sent with)",
    )
    label: str | float | bool | list[str | float | bool | None] | None = Field(
        description="the true value; a list with one value per row for a request of many rows"
    )


class LabelsPost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[PredictionLabel] = Field(min_length=1, max_length=10_000)


class LabelsStored(BaseModel):
    stored: int


class ModelScoreModel(BaseModel):
    hour: str | None = Field(description="the hour (UTC, YYYYmmdd-HH); null for all of them")
    value: float | None = Field(description="the metric over the labelled predictions, if any")
    labelled: int
    predictions: int
    mismatched: int


class ModelScoreList(BaseModel):
    metric: str
    overall: ModelScoreModel
    hours: list[ModelScoreModel]


# --- monitors --------------------------------------------------------------------------------

MONITOR_NAME = ENDPOINT_NAME
MonitorMetric = Literal["accuracy", "f1", "mae", "rmse"]


class MonitorThresholds(BaseModel):
    """When a column is drifted: scores at or above `*_possible` are possible drift, at or
    above `*_drift` drift, both only when the test's p-value is below `p_value`."""

    model_config = ConfigDict(extra="forbid")
    ks_possible: float = Field(0.05, gt=0, le=1)
    ks_drift: float = Field(0.1, gt=0, le=1)
    categorical: Literal["chi-square", "hellinger"] = "chi-square"
    chi_square_possible: float = Field(0.05, gt=0, le=1)
    chi_square_drift: float = Field(0.1, gt=0, le=1)
    hellinger_possible: float = Field(0.05, gt=0, le=1)
    hellinger_drift: float = Field(0.1, gt=0, le=1)
    p_value: float = Field(0.05, gt=0, lt=1)

    @field_validator("ks_drift", "chi_square_drift", "hellinger_drift")
    @classmethod
    def _drift_above_possible(cls, value: float, info: Any) -> float:
        possible = info.data.get(info.field_name.replace("_drift", "_possible"))
        if possible is not None and value < possible:
            raise ValueError(f"{info.field_name} must be at least the *_possible threshold")
        return value


class MonitorRetrain(BaseModel):
    """The loop a breach starts: run `target`, register its model as `model_name`, stage it
    as green, and promote it if it beats the live model by `margin` on fresh labels. A data
    set's monitor runs `target` only."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(
        min_length=1, description="notebook or pipeline.yaml that trains and logs the model"
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    model_name: str | None = Field(
        default=None,
        pattern=MODEL_NAME,
        description="registered model to add to (an endpoint's monitor needs it)",
    )
    margin: float = Field(
        0.0, ge=0, le=1e6, description="how much better the new model must score to go live"
    )


class MonitorRetrainSaved(BaseModel):
    target: str
    parameters: dict[str, Any]
    model_name: str | None
    margin: float


class MonitorDataset(BaseModel):
    """A data set a pipeline writes (and profiles: the step lists it under `profile`)."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1, max_length=500, description="the pipeline.yaml")
    output: str = Field(min_length=1, max_length=500, description="the output, as in the pipeline")
    reference_run: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]{1,40}$",
        description="the run whose profile is the reference; none: the oldest that has one",
    )


class MonitorSettings(BaseModel):
    """What a monitor checks and when; every field optional, for edits."""

    model_config = ConfigDict(extra="forbid")
    cron: str | None = Field(default=None, description="when to check: five cron fields")
    timezone: str | None = Field(default=None, description="IANA name, e.g. Europe/Paris")
    window_hours: int | None = Field(
        default=None, ge=1, le=168, description="hours of requests each check looks at"
    )
    thresholds: MonitorThresholds | None = None
    drifted_columns: int | None = Field(
        default=None, ge=1, description="columns in drift that make a breach"
    )
    min_rows: int | None = Field(
        default=None, ge=1, description="fewer rows in the window: nothing is judged"
    )
    metric: MonitorMetric | None = Field(
        default=None, description="the model's score tracked on posted labels"
    )
    score_limit: float | None = Field(
        default=None, description="a score worse than this is a breach (needs metric)"
    )
    retrain: MonitorRetrain | None = Field(
        default=None, description="the retrain loop a breach starts (needs metric); none: alert"
    )
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=WEBHOOK_URL,
        description="Slack-compatible incoming webhook; empty string removes it",
    )
    paused: bool | None = None


class MonitorCreate(MonitorSettings):
    name: str = Field(pattern=MONITOR_NAME)
    endpoint: str | None = Field(
        default=None, pattern=ENDPOINT_NAME, description="the endpoint it watches"
    )
    dataset: MonitorDataset | None = Field(
        default=None, description="or the data set it watches (one of the two)"
    )
    cron: str | None = Field(default="0 * * * *", description="when to check: five cron fields")
    timezone: str | None = "UTC"
    window_hours: int | None = Field(default=24, ge=1, le=168)
    drifted_columns: int | None = Field(default=1, ge=1)
    min_rows: int | None = Field(default=100, ge=1)
    paused: bool | None = False


class MonitorUpdate(MonitorSettings):
    """Fields to change; those left out stay as they are (null removes metric, score_limit,
    retrain and webhook_url)."""


class MonitorStep(BaseModel):
    at: datetime
    state: str
    message: str


class MonitorBreachModel(BaseModel):
    id: int
    check_id: int
    opened_at: datetime
    closed_at: datetime | None
    reason: str
    state: str = Field(
        description="alerted; retraining, registering, staging, evaluating, promoting, keeping "
        "while the loop runs; promoted, kept or failed once it is over"
    )
    retrain_run_id: str | None
    model_version: str | None
    decision: str
    steps: list[MonitorStep]


class MonitorCheckModel(BaseModel):
    id: int
    due: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str = Field(description="running, ok, breach, too few rows or error")
    message: str
    summary: dict[str, Any] = Field(
        description="rows, requests, drifted and possible columns, quality issues, score"
    )
    breach_id: int | None
    report_url: str | None = Field(description="the drift report, while it is kept")


class MonitorDatasetSaved(BaseModel):
    target: str
    output: str
    reference_run: str | None


class MonitorModel(BaseModel):
    name: str
    endpoint: str | None = Field(description="the endpoint it watches; null: a data set")
    dataset: MonitorDatasetSaved | None
    cron: str
    timezone: str
    window_hours: int
    thresholds: dict[str, Any] = Field(description="MonitorThresholds' fields, all of them")
    drifted_columns: int
    min_rows: int
    metric: MonitorMetric | None
    score_limit: float | None
    retrain: MonitorRetrainSaved | None
    webhook_url: str | None = Field(description="for deployers and owners only")
    paused: bool
    status: str = Field(
        description="the last check's: new, running, ok, breach, too few rows, error"
    )
    next_check_at: datetime | None
    last_check_at: datetime | None
    last_breach: MonitorBreachModel | None
    created_by: str
    created_at: datetime


class MonitorList(BaseModel):
    monitors: list[MonitorModel]


class MonitorHistory(BaseModel):
    checks: list[MonitorCheckModel]
    breaches: list[MonitorBreachModel]
