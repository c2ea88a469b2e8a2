"""Sends the webhooks of notifications, from the database, with retries.

Each service process runs one sender. It takes due deliveries from the database (see
`store.webhooks`), sends them in the background so a slow receiver holds up nothing, and
writes down each outcome and the time of the next attempt there, not in memory: a delivery
pending when the service stops is sent after the next start.

Requests go through `GuardedResolver`, so a webhook reaches public addresses only (unless the
administrator opens networks), redirects included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.netutil import Resolver
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from ..store import webhooks as store_webhooks
from ..store.models import utcnow
from .webhook_guard import GuardedResolver, WebhookRefused

if TYPE_CHECKING:
    from .notify import Notifier

ICON = {"error": ":x:", "warning": ":warning:", "success": ":white_check_mark:"}
MAX_REDIRECTS = 3


def payload(delivery: store_webhooks.Delivery) -> dict[str, Any]:
    """A Slack incoming-webhook message, with the notification's fields for other readers."""
    text = " ".join(
        [ICON.get(delivery.level, ""), f"*{delivery.title}*\n{delivery.message}"]
        + [f"<{url}|{name}>" for name, url in delivery.links.items()]
    )
    return {
        "text": text,
        "scalelab": {
            "level": delivery.level,
            "title": delivery.title,
            "message": delivery.message,
            "links": delivery.links,
            "run": delivery.run_id,
            "schedule": delivery.schedule_id,
        },
    }


def guarded_client(settings: Notifier, resolver: Resolver | None = None) -> SimpleAsyncHTTPClient:
    """An HTTP client of its own that connects only where webhooks may go."""
    guard = GuardedResolver(
        resolver=resolver or Resolver(),
        hosts=settings.webhook_hosts,
        allowed=settings.webhook_networks,
    )
    # The simple client: the one that takes a resolver (and its redirects go through it too).
    return SimpleAsyncHTTPClient(force_instance=True, resolver=guard)


class WebhookSender:
    """Deliveries of one service process, with the notifier's settings (`c.Notifier.*`)."""

    def __init__(self, settings: Notifier) -> None:
        self.settings = settings
        self.store = settings.store
        self.log = settings.log
        # Made in start(): a client belongs to the event loop it was made in.
        self.client: SimpleAsyncHTTPClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self.client is None:
            self.client = guarded_client(self.settings)
        self._task = asyncio.ensure_future(self._loop())

    def wake(self) -> None:
        """A delivery was added here: look now rather than at the next poll."""
        self._wake.set()

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery stays ours: every hop of the request, and some."""
        return timedelta(seconds=self.settings.webhook_timeout * (MAX_REDIRECTS + 1) + 30)

    async def _loop(self) -> None:
        poll = float(self.settings.poll_interval)
        while True:
            delay = poll
            try:
                now = utcnow()
                for delivery in store_webhooks.claim_due(self.store, now, now + self.lease):
                    task = asyncio.ensure_future(self.send(delivery))
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)
                due = store_webhooks.next_attempt_at(self.store)
                if due is not None:
                    delay = max(0.0, min(poll, (due - utcnow()).total_seconds()))
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end deliveries
                self.log.exception("webhook deliveries: trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def send(self, delivery: store_webhooks.Delivery) -> None:
        attempt = delivery.attempts + 1
        attempts = self.settings.webhook_attempts
        request = HTTPRequest(
            delivery.url,
            method="POST",
            body=json.dumps(payload(delivery)),
            headers={"Content-Type": "application/json"},
            request_timeout=self.settings.webhook_timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )
        retry = True
        assert self.client is not None, "start() first"
        try:
            await self.client.fetch(request)
        except asyncio.CancelledError:
            # The service is stopping: the next start (or another process) sends it.
            store_webhooks.release(self.store, delivery.notification_id, utcnow())
            raise
        except WebhookRefused as exc:
            error, retry = f"refused: {exc}", False
        except HTTPClientError as exc:
            error = f"HTTP {exc.code}"
        except Exception as exc:  # refused, DNS, timeout: all worth another try
            error = f"{exc.__class__.__name__}: {exc}"
        else:
            store_webhooks.record_attempt(
                self.store,
                delivery.notification_id,
                state=store_webhooks.DELIVERED,
                detail=f"sent (attempt {attempt})",
                attempts=attempt,
            )
            return
        self.log.warning(
            "webhook for notification %d, attempt %d of %d: %s",
            delivery.notification_id,
            attempt,
            attempts,
            error,
        )
        if retry and attempt < attempts:
            wait = self.settings.webhook_backoff * 2 ** (attempt - 1)
            store_webhooks.record_attempt(
                self.store,
                delivery.notification_id,
                state=store_webhooks.PENDING,
                detail=f"attempt {attempt} of {attempts}: {error}",
                attempts=attempt,
                next_at=utcnow() + timedelta(seconds=wait),
            )
            self.wake()
            return
        detail = error if not retry else f"failed after {attempt} attempts: {error}"
        store_webhooks.record_attempt(
            self.store,
            delivery.notification_id,
            state=store_webhooks.FAILED,
            detail=detail,
            attempts=attempt,
        )

    async def close(self) -> None:
        tasks = [t for t in [self._task, *self._sending] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.client is not None:
            self.client.close()
