"""Who exists in JupyterHub: users and groups, looked up with the service's own hub token."""

from __future__ import annotations

import asyncio
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
        5.0,
        help="""Age after which a looked-up user or group is fetched again from the hub.

        Until the new answer arrives the old one is used, so a change of groups in the hub
        takes effect for a person within about this many seconds of their next request.""",
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._refreshing: set[str] = set()

    async def _get(self, path: str) -> dict[str, Any] | None:
        hit = self._cache.get(path)
        if hit is None or hit[1] is None:  # unknown names are asked again: they may exist now
            return await self._fetch(path)
        if time.monotonic() - hit[0] >= self.cache_seconds and path not in self._refreshing:
            # Answer from the stale entry now and refresh it behind the request: a hub
            # round trip never sits in the path of a known user's request.
            self._refreshing.add(path)
            task = asyncio.ensure_future(self._fetch(path))
            task.add_done_callback(lambda t, p=path: self._refreshed(p, t))
        return hit[1]

    def _refreshed(self, path: str, task: asyncio.Future[Any]) -> None:
        self._refreshing.discard(path)
        if task.exception() is not None:
            self.log.warning("Refreshing %s from the hub failed: %s", path, task.exception())

    async def _fetch(self, path: str) -> dict[str, Any] | None:
        now = time.monotonic()
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

    async def fresh_user(self, name: str) -> dict[str, Any] | None:
        """The hub's answer now, not a cached one."""
        return await self._fetch(f"users/{quote(name, safe='')}")

    async def accounts(self) -> dict[str, dict[str, Any]]:
        """Every hub user's model, by name (the hub's paginated list, page by page)."""
        found: dict[str, dict[str, Any]] = {}
        offset: int | None = 0
        while offset is not None:
            request = HTTPRequest(
                f"{self.api_url.rstrip('/')}/users?offset={offset}&limit=200",
                headers={
                    "Authorization": f"token {self.api_token}",
                    "Accept": "application/jupyterhub-pagination+json",
                },
                request_timeout=30,
            )
            response = await AsyncHTTPClient().fetch(request)
            page = json.loads(response.body)
            for model in page["items"]:
                found[model["name"]] = model
            following = page.get("_pagination", {}).get("next")
            offset = following["offset"] if following else None
        return found
