"""Webhooks go to public addresses only: refused by address after resolution, redirects
included, before any connection is made; an allow list opens networks; a refusal is final."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from ipaddress import ip_address
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from tornado.httpclient import HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import Resolver, bind_sockets
from tornado.tcpclient import TCPClient
from tornado.web import Application, RequestHandler

from scalelab.service.schedules import redact, webhook_host
from scalelab.service.webhook_guard import (
    GuardedResolver,
    WebhookRefused,
    denied_reason,
    parse_networks,
    refusal,
    url_refusal,
)
from scalelab.service.webhooks import WebhookSender, guarded_client
from scalelab.store import Store
from scalelab.store.models import NotificationRow, ProjectRow, utcnow

DENIED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # cloud metadata over IPv6
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.5",
    "::a00:5",  # IPv4-compatible 10.0.0.5
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", DENIED)
def test_non_public_addresses_are_denied(address: str) -> None:
    assert denied_reason(ip_address(address)) is not None
    assert "webhook_allowed_networks" in (refusal(ip_address(address), []) or "")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert denied_reason(ip_address(address)) is None


def test_an_allowed_network_opens_what_it_lists_and_nothing_else() -> None:
    allowed = parse_networks(["10.20.0.0/16", "127.0.0.1"])
    assert refusal(ip_address("10.20.3.4"), allowed) is None
    assert refusal(ip_address("127.0.0.1"), allowed) is None
    assert refusal(ip_address("::ffff:127.0.0.1"), allowed) is None
    assert refusal(ip_address("10.21.0.1"), allowed)
    assert refusal(ip_address("127.0.0.2"), allowed)
    assert refusal(ip_address("169.254.169.254"), allowed)
    with pytest.raises(ValueError):
        parse_networks(["not a network"])


def test_urls_with_a_denied_literal_address_are_refused_when_saved() -> None:
    assert "169.254.169.254 is a link-local" in (
        url_refusal("http://169.254.169.254/latest/meta-data", [], []) or ""
    )
    assert url_refusal("http://[::ffff:10.0.0.5]:8080/x", [], [])
    assert url_refusal("http://user:pw@127.0.0.1:9/x", [], [])
    assert url_refusal("http://localhost:8080/x", [], [])
    assert url_refusal("http://127.0.0.1:9/x", [], parse_networks(["127.0.0.1/32"])) is None
    # A name is checked where it resolves, when the webhook is sent.
    assert url_refusal("https://hooks.example/x", [], []) is None
    assert "webhook_hosts" in (url_refusal("https://evil.example/x", ["hooks.example"], []) or "")


class StubResolver(Resolver):
    """Fake names to fixed addresses, remembering every question."""

    def initialize(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[tuple[str, int]] = []

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        self.asked.append((host, port))
        address = self.names[host]
        if ":" in address:
            return [(socket.AF_INET6, (address, port, 0, 0))]
        return [(socket.AF_INET, (address, port))]


NAMES = {
    "hooks.example": "10.0.0.5",
    "metadata.example": "169.254.169.254",
    "local.example": "127.0.0.1",
    "mapped.example": "::ffff:169.254.169.254",
    "127.0.0.1": "127.0.0.1",
}


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every connection the HTTP client opens (to 127.0.0.1 only; anything else fails)."""
    opened: list[Any] = []
    real_stream, real_connect = TCPClient._create_stream, socket.socket.connect

    def create_stream(self: TCPClient, max_buffer_size: Any, af: Any, addr: Any, **kw: Any) -> Any:
        opened.append(addr)
        assert addr[0] == "127.0.0.1", f"connected to {addr}"
        return real_stream(self, max_buffer_size, af, addr, **kw)

    def connect(self: socket.socket, address: Any) -> Any:
        # Below tornado: no code path may reach another address either.
        assert address[0] == "127.0.0.1", f"socket connect to {address}"
        return real_connect(self, address)

    monkeypatch.setattr(TCPClient, "_create_stream", create_stream)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    yield opened


def client_for(stub: StubResolver, allowed: list[str] | None = None) -> Any:
    config = SimpleNamespace(webhook_hosts=[], webhook_networks=parse_networks(allowed or []))
    return guarded_client(config, resolver=stub)  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["hooks.example", "metadata.example", "local.example"])
def test_a_name_resolving_to_a_denied_address_is_refused_before_connecting(
    host: str, connections: list[Any]
) -> None:
    stub = StubResolver(names=NAMES)

    async def post() -> None:
        client = client_for(stub)
        try:
            await client.fetch(HTTPRequest(f"http://{host}/hook", method="POST", body="{}"))
        finally:
            client.close()

    with pytest.raises(WebhookRefused, match=rf"{re.escape(host)}: .* is a"):
        asyncio.run(post())
    assert stub.asked == [(host, 80)]
    assert connections == []


def test_ipv4_inside_ipv6_is_refused_too(connections: list[Any]) -> None:
    stub = StubResolver(names=NAMES)
    guard = GuardedResolver(resolver=stub, allowed=[])
    with pytest.raises(WebhookRefused, match=r"169\.254\.169\.254 inside an IPv6 address"):
        asyncio.run(guard.resolve("mapped.example", 443))
    assert connections == []


def test_hosts_outside_the_list_are_refused_without_a_lookup() -> None:
    stub = StubResolver(names=NAMES)
    guard = GuardedResolver(resolver=stub, hosts=["hooks.example"], allowed=[])
    with pytest.raises(WebhookRefused, match="webhook_hosts"):
        asyncio.run(guard.resolve("metadata.example", 80))
    assert stub.asked == []


class Redirect(RequestHandler):
    def post(self) -> None:
        self.redirect("http://metadata.example/latest/meta-data", status=307)


def test_a_redirect_to_a_denied_address_is_refused_before_connecting(
    connections: list[Any],
) -> None:
    stub = StubResolver(names=NAMES)

    async def post() -> None:
        [sock] = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        server = HTTPServer(Application([(r"/hook", Redirect)]))
        server.add_sockets([sock])
        client = client_for(stub, allowed=["127.0.0.1/32"])
        try:
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
            await client.fetch(HTTPRequest(url, method="POST", body="{}"))
        finally:
            client.close()
            server.stop()

    with pytest.raises(WebhookRefused, match=r"metadata\.example: 169\.254\.169\.254"):
        asyncio.run(post())
    assert [host for host, _ in stub.asked] == ["127.0.0.1", "metadata.example"]
    assert [addr[0] for addr in connections] == ["127.0.0.1"]  # the first hop, allowed


def test_a_refused_delivery_fails_at_once_without_retries(
    tmp_path: Path, connections: list[Any]
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'scalelab.sqlite'}")
    store.upgrade()
    with store.session() as session:
        project = ProjectRow(slug="p", title="p", created_by="alice")
        session.add(project)
        session.flush()
        note = NotificationRow(
            project_id=project.id,
            level="error",
            title="t",
            message="m",
            links={},
            webhook="pending",
            webhook_url="http://metadata.example/latest/meta-data",
            webhook_next_at=utcnow() - timedelta(seconds=1),
        )
        session.add(note)
        session.flush()
        note_id = note.id
    settings = SimpleNamespace(  # what a Notifier holds
        store=store,
        log=logging.getLogger("test"),
        webhook_hosts=[],
        webhook_networks=[],
        webhook_attempts=4,
        webhook_backoff=0.01,
        webhook_timeout=5.0,
        poll_interval=0.05,
    )
    stub = StubResolver(names=NAMES)

    async def deliver() -> None:
        sender = WebhookSender(settings)  # type: ignore[arg-type]
        sender.client = client_for(stub)
        sender.start()
        await asyncio.sleep(0.5)  # time for several retries, were there any
        await sender.close()

    asyncio.run(deliver())
    with store.session() as session:
        row = session.scalars(select(NotificationRow).where(NotificationRow.id == note_id)).one()
        assert (row.webhook, row.webhook_attempts, row.webhook_next_at) == ("failed", 1, None)
        assert row.webhook_detail.startswith("refused: metadata.example: 169.254.169.254")
    assert stub.asked == [("metadata.example", 80)]
    assert connections == []
    store.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://bot:pw@hooks.example:8443/services/T1/B2/secret?token=abc&flag#frag",
            "https://***@hooks.example:8443/services/***/***/***?token=***&flag#***",
        ),
        (
            "https://hooks.example/services/T1/B2/secret",
            "https://hooks.example/services/***/***/***",
        ),
        ("http://hooks.example/hook?key=k", "http://hooks.example/hook?key=***"),
        ("http://hooks.example", "http://hooks.example"),
        (None, None),
    ],
)
def test_webhook_urls_are_redacted_for_those_who_may_not_edit_them(
    url: str | None, shown: str | None
) -> None:
    assert redact(url) == shown
    if url:
        assert "@" not in (webhook_host(url) or "")
