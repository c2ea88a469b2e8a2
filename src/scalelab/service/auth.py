"""JupyterHub authentication of the service's requests: cached for reads, fresh for writes."""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from jupyterhub.services.auth import HubOAuth
from tornado import web

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing: ContextVar[bool] = ContextVar("scalelab_writing", default=False)


class ScaleLabHubAuth(HubOAuth):
    """HubOAuth whose cached token checks serve reads only.

    The hub's answer for a token is kept for `cache_max_age` seconds, so that a panel polling
    the service does not ask the hub at every request. A request that changes something asks
    the hub every time: a revoked or expired token stops writing at once.
    """

    async def _get_user(self, handler: web.RequestHandler) -> Any:
        reset = _writing.set(handler.request.method not in READ_METHODS)
        try:
            return await super()._get_user(handler)
        finally:
            _writing.reset(reset)

    def user_for_token(
        self, token: str, use_cache: bool = True, session_id: str = "", *, sync: bool = True
    ) -> Any | Awaitable[Any]:
        if _writing.get():
            use_cache = False
        return super().user_for_token(token, use_cache, session_id, sync=sync)
