"""Who exists in JupyterHub: users and groups, looked up with the service's own hub token."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable


class HubDirectory(LoggingConfigurable):
    """Cached lookups of JupyterHub users (their groups) and groups.

    Group membership comes from here rather than from the caller's token, because tokens of
    users' servers do not carry the groups scope.
    """

    api_url = Unicode(help="JupyterHub API URL; $JUPYTERHUB_API_URL when hub-managed.").tag(
        config=True
    )

    @default("api_url")
    def _default_api_url(self) -> str:
        import os

        return os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")

    api_token = Unicode(help="Token of the service; $JUPYTERHUB_API_TOKEN when hub-managed.").tag(
        config=True
    )

    @default("api_token")
    def _default_api_token(self) -> str:
        import os

        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    cache_seconds = Float(
        5.0, help="How long a looked-up user or group is trusted before asking the hub again."
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def _get(self, path: str) -> dict[str, Any] | None:
        hit = self._cache.get(path)
        now = time.monotonic()
        if hit and now - hit[0] < self.cache_seconds:
            return hit[1]
        request = HTTPRequest(
            f"{self.api_url.rstrip('/')}/{path}",
            headers={"Authorization": f"token {self.api_token}"},
            request_timeout=10,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        if response.code == 404:
            model = None
        elif response.code == 200:
            model = json.loads(response.body)
        else:
            raise RuntimeError(f"JupyterHub answered {response.code} for {path}")
        self._cache[path] = (now, model)
        return model

    async def user(self, name: str) -> dict[str, Any] | None:
        return await self._get(f"users/{quote(name, safe='')}")

    async def group(self, name: str) -> dict[str, Any] | None:
        return await self._get(f"groups/{quote(name, safe='')}")

    async def groups_of(self, name: str) -> tuple[str, ...]:
        model = await self.user(name)
        return tuple(sorted(model.get("groups") or ())) if model else ()

    def forget(self) -> None:
        self._cache.clear()
