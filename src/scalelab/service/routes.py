"""Every API route of the service, in one table (also the source of the OpenAPI document)."""

from __future__ import annotations

from .deployments import (
    DeploymentEventsHandler,
    DeploymentHandler,
    DeploymentLabelsHandler,
    DeploymentPromoteHandler,
    DeploymentRollbackHandler,
    DeploymentScoresHandler,
    DeploymentsHandler,
    DeploymentVersionHandler,
    EndpointKeyHandler,
    EndpointKeysHandler,
)
from .handlers import (
    BaseHandler,
    HealthHandler,
    MeHandler,
    OpenAPIHandler,
    PreferencesHandler,
)
from .monitors import (
    MonitorCheckNowHandler,
    MonitorChecksHandler,
    MonitorHandler,
    MonitorReportHandler,
    MonitorsHandler,
)
from .projects import (
    AuditHandler,
    MemberHandler,
    MembersHandler,
    ProjectArchiveHandler,
    ProjectHandler,
    ProjectRestoreHandler,
    ProjectsHandler,
)
from .registry import MODEL, ModelAliasHandler, ModelsHandler
from .runs import (
    ParametersHandler,
    RunCancelHandler,
    RunDiffHandler,
    RunHandler,
    RunsHandler,
)
from .schedules import (
    CronPreviewHandler,
    NotificationsHandler,
    ScheduleHandler,
    ScheduleHistoryHandler,
    SchedulesHandler,
)

SLUG = r"(?P<slug>[^/]+)"
RUN = r"(?P<run_id>[A-Za-z0-9-]+)"
SCHEDULE = r"(?P<schedule_id>[0-9]{1,12})"
ENDPOINT = r"(?P<name>[a-z0-9][a-z0-9-]{0,39})"
KEY = r"(?P<key_id>[0-9]{1,12})"
MONITOR = r"(?P<name>[a-z0-9][a-z0-9-]{0,39})"
CHECK = r"(?P<check_id>[0-9]{1,12})"
ALIAS = r"(?P<alias>[A-Za-z][A-Za-z0-9_-]{0,62})"

API_ROUTES: list[tuple[str, type[BaseHandler]]] = [
    (r"api/health", HealthHandler),
    (r"api/me", MeHandler),
    (r"api/me/preferences", PreferencesHandler),
    (r"api/openapi.json", OpenAPIHandler),
    (r"api/projects", ProjectsHandler),
    (rf"api/projects/{SLUG}", ProjectHandler),
    (rf"api/projects/{SLUG}/archive", ProjectArchiveHandler),
    (rf"api/projects/{SLUG}/restore", ProjectRestoreHandler),
    (rf"api/projects/{SLUG}/members", MembersHandler),
    (rf"api/projects/{SLUG}/members/(?P<kind>user|group)/(?P<name>[^/]+)", MemberHandler),
    (rf"api/projects/{SLUG}/audit", AuditHandler),
    (rf"api/projects/{SLUG}/parameters", ParametersHandler),
    (rf"api/projects/{SLUG}/runs", RunsHandler),
    (rf"api/projects/{SLUG}/runs/{RUN}", RunHandler),
    (rf"api/projects/{SLUG}/runs/{RUN}/cancel", RunCancelHandler),
    (rf"api/projects/{SLUG}/runs/{RUN}/diff", RunDiffHandler),
    (rf"api/projects/{SLUG}/schedules", SchedulesHandler),
    (rf"api/projects/{SLUG}/schedules/preview", CronPreviewHandler),
    (rf"api/projects/{SLUG}/schedules/{SCHEDULE}", ScheduleHandler),
    (rf"api/projects/{SLUG}/schedules/{SCHEDULE}/history", ScheduleHistoryHandler),
    (rf"api/projects/{SLUG}/models", ModelsHandler),
    (rf"api/projects/{SLUG}/models/{MODEL}/aliases/{ALIAS}", ModelAliasHandler),
    (rf"api/projects/{SLUG}/deployments", DeploymentsHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}", DeploymentHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/versions", DeploymentVersionHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/promote", DeploymentPromoteHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/rollback", DeploymentRollbackHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/events", DeploymentEventsHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/labels", DeploymentLabelsHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/scores", DeploymentScoresHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/keys", EndpointKeysHandler),
    (rf"api/projects/{SLUG}/deployments/{ENDPOINT}/keys/{KEY}", EndpointKeyHandler),
    (rf"api/projects/{SLUG}/monitors", MonitorsHandler),
    (rf"api/projects/{SLUG}/monitors/{MONITOR}", MonitorHandler),
    (rf"api/projects/{SLUG}/monitors/{MONITOR}/check", MonitorCheckNowHandler),
    (rf"api/projects/{SLUG}/monitors/{MONITOR}/checks", MonitorChecksHandler),
    (rf"api/projects/{SLUG}/monitors/{MONITOR}/checks/{CHECK}/report", MonitorReportHandler),
    (r"api/notifications", NotificationsHandler),
]
