"""Every API route of the service, in one table (also the source of the OpenAPI document)."""

from __future__ import annotations

from .handlers import (
    BaseHandler,
    HealthHandler,
    MeHandler,
    OpenAPIHandler,
    PreferencesHandler,
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

SLUG = r"(?P<slug>[^/]+)"

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
]
