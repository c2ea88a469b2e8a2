"""Webhook deliveries outlive the service: one pending when it stops is sent after the next
start, once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scalelab.store import Store
from scalelab.store.models import NotificationRow
from tests.hubctl import free_port

from .conftest import ServiceProcess, prepare, wait_for

T0 = datetime(2030, 1, 7, 10, 59, 55, tzinfo=UTC)


class Receiver(ThreadingHTTPServer):
    def __init__(self, port: int) -> None:
        self.received: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", port), _ReceiverHandler)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def notifications(store: Store) -> list[NotificationRow]:
    with store.session() as session:
        rows = session.scalars(select(NotificationRow).order_by(NotificationRow.id)).all()
        session.expunge_all()
        return list(rows)


def test_a_webhook_pending_at_a_stop_is_sent_once_after_the_next_start(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    store, _, project = prepare(tmp_path, db_url, "hooks", T0)
    port = free_port()  # nothing listens there yet: the receiver is down
    url = f"http://127.0.0.1:{port}/hooks/abc"
    # Fires once, at 11:00, and cannot start: a notification at once, no kernel needed.
    project.schedule("daily", "missing.ipynb", "0 11 * * *", T0, webhook_url=url)
    service = services(
        db_url,
        options=[
            # The receiver is on this machine: opted in, since webhooks go to public
            # addresses only by default.
            "--Notifier.webhook_allowed_networks=127.0.0.1/32",
            "--Notifier.webhook_backoff=2",
            "--Notifier.webhook_attempts=10",
        ],
    )
    service.start()
    [note] = wait_for(
        lambda: [n for n in notifications(store) if n.webhook_attempts >= 1],
        what="a first, failed delivery",
    )
    assert note.webhook == "pending" and note.webhook_url == url
    assert "Connection" in note.webhook_detail or "Errno" in note.webhook_detail
    service.stop()
    [stopped] = notifications(store)
    assert stopped.webhook == "pending" and stopped.webhook_next_at is not None

    receiver = Receiver(port)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        service.start()
        [sent] = wait_for(
            lambda: [n for n in notifications(store) if n.webhook == "delivered"],
            what="the delivery after the restart",
        )
        assert sent.webhook_detail == f"sent (attempt {sent.webhook_attempts})"
        assert sent.webhook_attempts >= 2 and sent.webhook_next_at is None
        service.stop()  # nothing left to send: a stop and a start send nothing more
        service.start()
        time.sleep(3)  # a duplicate would go out at once
        assert len(receiver.received) == 1
        assert receiver.received[0]["scalelab"]["title"] == "Scheduled run did not start: daily"
    finally:
        receiver.shutdown()
        receiver.server_close()
