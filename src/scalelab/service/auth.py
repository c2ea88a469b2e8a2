"""JupyterHub authentication of the service's requests: cached for reads, fresh for writes."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from jupyterhub.services.auth import HubOAuth
from tornado import web

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing: ContextVar[bool] = ContextVar("scalelab_writing", default=False)
_write_grace: ContextVar[float] = ContextVar("scalelab_write_grace", default=0.0)
MAX_CHECKED_TOKENS = 10_000


class ScaleLabHubAuth(HubOAuth):
    """HubOAuth whose cached token checks serve reads only.

    The hub's answer for a token is kept for `cache_max_age` seconds, so that a panel polling
    the service does not ask the hub at every request. A request that changes something asks
    the hub every time: a revoked or expired token stops writing at once.

    A handler may allow its writes a grace (`write_grace_seconds`): the tracking proxy does, so
    that a notebook logging a metric per step does not wait for the hub each time; a revoked
    token then stops writing there within that many seconds.
    """

    _checked: dict[str, float]

    async def _get_user(self, handler: web.RequestHandler) -> Any:
        reset = _writing.set(handler.request.method not in READ_METHODS)
        grace = _write_grace.set(float(getattr(handler, "write_grace_seconds", 0.0)))
        try:
            return await super()._get_user(handler)
        finally:
            _writing.reset(reset)
            _write_grace.reset(grace)

    def user_for_token(
        self, token: str, use_cache: bool = True, session_id: str = "", *, sync: bool = True
    ) -> Any | Awaitable[Any]:
        if _writing.get():
            use_cache = self._checked_within(token, _write_grace.get())
        return super().user_for_token(token, use_cache, session_id, sync=sync)

    def _checked_within(self, token: str, grace: float) -> bool:
        """Whether the hub was asked about `token` less than `grace` seconds ago; if not,
        it is about to be (the caller asks with the cache off), and that time is noted."""
        checked = self.__dict__.setdefault("_checked", {})
        now = time.monotonic()
        if grace > 0 and now - checked.get(token, -grace) < grace:
            return True
        if len(checked) >= MAX_CHECKED_TOKENS:
            checked.clear()
        checked[token] = now
        return False
