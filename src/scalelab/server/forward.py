"""Forward the lab's ScaleLab API calls to the service, as the user who owns this server.

The browser only talks to its own Jupyter server (same origin, Jupyter's XSRF and auth); this
handler adds the server's JupyterHub token, which identifies the user to the service. That token
speaks for the server's owner, so only the owner's calls are forwarded: a person the server is
shared with (JupyterHub sharing, or an admin with access to it) is refused.
"""

from __future__ import annotations

import json
import os
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import Configurable

FORWARDED_HEADERS = ("Content-Type", "Accept", "X-Request-Id")


class ScaleLabServerConfig(Configurable):
    """Settings of the ScaleLab server extension (`c.ScaleLabServerConfig.<option>`)."""

    service_url = Unicode(
        help="Base URL of the ScaleLab service, ending in /services/scalelab/. "
        "The hub sets $SCALELAB_SERVICE_URL for the servers it spawns."
    ).tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("SCALELAB_SERVICE_URL", "")

    api_token = Unicode(
        help="Token sent to the service; the server's own $JUPYTERHUB_API_TOKEN by default."
    ).tag(config=True)

    @default("api_token")
    def _default_api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    owner = Unicode(
        help="Hub user who owns this server, the only one whose calls are forwarded; "
        "$JUPYTERHUB_USER by default."
    ).tag(config=True)

    @default("owner")
    def _default_owner(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    request_timeout = Float(60.0, help="Seconds to wait for the service before answering 504.").tag(
        config=True
    )


class ForwardHandler(APIHandler):
    def initialize(self, config: ScaleLabServerConfig) -> None:
        self.scalelab = config

    @web.authenticated
    async def get(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def post(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def put(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def patch(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def delete(self, path: str) -> None:
        await self._forward(path)

    def _fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status, "message": message}))

    async def _forward(self, path: str) -> None:
        owner = self.scalelab.owner
        if not self.scalelab.service_url or not self.scalelab.api_token or not owner:
            self._fail(
                503, "this server does not know the ScaleLab service (not started by the hub?)"
            )
            return
        caller = getattr(self.current_user, "username", None)
        if caller != owner:
            # The service would take the caller for the owner: the token below is the owner's.
            self._fail(
                403,
                f"ScaleLab in this server works only for {owner}, whose server it is; "
                f"{caller} can use ScaleLab from their own server",
            )
            return
        url = self.scalelab.service_url.rstrip("/") + "/" + path
        if self.request.query:
            url += "?" + self.request.query
        headers = {
            h: self.request.headers[h] for h in FORWARDED_HEADERS if h in self.request.headers
        }
        headers["Authorization"] = f"token {self.scalelab.api_token}"
        method = self.request.method or "GET"
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=self.request.body if method in ("POST", "PUT", "PATCH") else None,
            request_timeout=self.scalelab.request_timeout,
            follow_redirects=False,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        if response.code == 599:
            reason = str(response.error) if response.error else "no answer"
            self._fail(
                504 if "Timeout" in reason else 502, f"ScaleLab service unreachable: {reason}"
            )
            return
        self.set_status(response.code, response.reason)
        for name in ("Content-Type", "X-Request-Id"):
            if name in response.headers:
                self.set_header(name, response.headers[name])
        self.finish(response.body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self._fail(status_code, self._reason)
