"""Kernels that know their project: a notebook under `projects/<slug>/` logs to that project.

A kernel started for a path in a project gets the project's MLflow endpoint on the service,
its experiment and this server's hub token (which may call the service) as MLflow's own
variables, so `import mlflow` in a notebook needs no configuration. The service checks the
token's user against the project's members; this server only picks the project.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from ..tracking.quiet import NO_TELEMETRY
from ..workspaces import SLUG
from .contents import PROJECTS, ProjectContentsManager
from .forward import ScaleLabServerConfig


def project_of(path: str | None) -> str | None:
    """The slug of the project an API path (a notebook's folder) lies in, if any."""
    if not path:
        return None
    parts = posixpath.normpath("/" + path.strip("/")).lstrip("/").split("/")
    if len(parts) >= 2 and parts[0] == PROJECTS and SLUG.match(parts[1]):
        return parts[1]
    return None


def project_env(slug: str, service_url: str, token: str) -> dict[str, str]:
    """What a kernel working for project `slug` finds in its environment."""
    return {
        **NO_TELEMETRY,
        "SCALELAB_PROJECT": slug,
        "MLFLOW_TRACKING_URI": f"{service_url.rstrip('/')}/mlflow/{slug}",
        "MLFLOW_TRACKING_TOKEN": token,
        "MLFLOW_EXPERIMENT_NAME": slug,
        # MLflow would print links on the service's own port, which browsers do not reach;
        # ExperimentBoard and scalelab.tracking.links give the hub's.
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    }


class ProjectKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager, adding the project's tracking settings to project kernels."""

    async def _project_for(self, path: str) -> str | None:
        slug = project_of(path)
        contents = getattr(self.parent, "contents_manager", None)
        if slug is None or not isinstance(contents, ProjectContentsManager):
            return slug
        if not contents._enabled:
            return None
        # The file browser has just listed the project, so this is usually the cached list.
        try:
            await contents._refresh(path)
        except Exception as exc:  # a service that is down must not stop kernels from starting
            self.log.warning("ScaleLab projects unavailable (%s); using the last list", exc)
        if slug not in contents._projects:
            self.log.warning("Kernel for %s: not one of my projects, no tracking set", path)
            return None
        return slug

    async def start_kernel(  # type: ignore[override]
        self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any
    ) -> str:
        service = ScaleLabServerConfig(parent=self.parent)
        new = kernel_id is None or kernel_id not in self
        slug = await self._project_for(path) if new and path and service.service_url else None
        if slug is not None:
            # The session manager passes the server's environment plus its own variables; the
            # kernels API passes none, and then the provisioner would use os.environ.
            base = kwargs.get("env")
            base = os.environ if base is None else base
            kwargs["env"] = {**base, **project_env(slug, service.service_url, service.api_token)}
            self.log.info("Kernel for %s: tracking to project %s", path, slug)
        kernel: str = await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        return kernel
