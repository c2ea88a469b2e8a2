"""Where webhooks may go: public addresses only, unless the administrator opens a network.

Editors choose webhook URLs, and the service sends them from inside the network: without a
guard a webhook could reach the cloud metadata endpoint, the database or an admin page on
localhost. The check is made on the addresses a host name resolves to, by the resolver the HTTP
client connects with, so it holds for every redirect and a name that resolves differently the
second time (DNS rebinding) gains nothing: the connection goes to the address that was checked.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import urlsplit

from tornado.netutil import Resolver

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# IPv6 forms that carry an IPv4 address in their last 32 bits (beyond mapped, 6to4 and Teredo,
# which `ipaddress` decodes itself): NAT64 and the old IPv4-compatible form.
_NAT64 = IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = IPv6Network("::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class WebhookRefused(OSError):
    """A webhook that may not be sent where it points; retrying would not change that."""


def parse_networks(values: list[str]) -> list[IPNetwork]:
    """`c.Notifier.webhook_allowed_networks` as networks; a bare address is a network of one."""
    return [ip_network(value.strip(), strict=False) for value in values]


def denied_reason(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address` by default, or None for a public address."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = denied_reason(embedded)
            return f"{reason} (as {embedded} inside an IPv6 address)" if reason else None
    for reason, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address (cloud metadata lives there)", address.is_link_local),
        ("the unspecified address", address.is_unspecified),
        ("a multicast address", address.is_multicast),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
        ("a site-local address", isinstance(address, IPv6Address) and address.is_site_local),
        ("not a public address", not address.is_global),
    ):
        if flag:
            return reason
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, allowed: list[IPNetwork]) -> str | None:
    """Why a webhook may not go to `address` under this configuration, or None."""
    candidates = [address]
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
    if any(a in net for a in candidates for net in allowed if a.version == net.version):
        return None
    reason = denied_reason(address)
    if reason is None:
        return None
    return (
        f"{address} is {reason}; webhooks go to public addresses only, unless "
        "c.Notifier.webhook_allowed_networks lists it"
    )


def url_refusal(url: str | None, hosts: list[str], allowed: list[IPNetwork]) -> str | None:
    """What is wrong with a webhook URL, as far as can be told without resolving its host."""
    host = urlsplit(url).hostname if url else None
    if not host:
        return None
    if hosts and host not in hosts:
        return f"webhooks may go to {', '.join(hosts)} only (c.Notifier.webhook_hosts), not {host}"
    try:
        address = ip_address(host)
    except ValueError:
        if host.rstrip(".") in _LOCAL_NAMES or host.rstrip(".").endswith(".localhost"):
            address = IPv4Address("127.0.0.1")
        else:
            return None  # a name: checked on every delivery, where it resolves then
    return refusal(address, allowed)


class GuardedResolver(Resolver):
    """A resolver that refuses names outside `hosts` (when set) and non-public addresses.

    Give it to the HTTP client: it connects only to addresses returned from here.
    """

    def initialize(
        self,
        resolver: Resolver,
        hosts: list[str] | None = None,
        allowed: list[IPNetwork] | None = None,
    ) -> None:
        self.resolver = resolver
        self.hosts = list(hosts or [])
        self.allowed = list(allowed or [])

    def close(self) -> None:
        self.resolver.close()

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        if self.hosts and host not in self.hosts:
            raise WebhookRefused(
                f"webhooks may go to {', '.join(self.hosts)} only (c.Notifier.webhook_hosts), "
                f"not {host}"
            )
        addresses = await self.resolver.resolve(host, port, family)
        for _family, sockaddr in addresses:
            try:
                address = ip_address(sockaddr[0])
            except ValueError:
                raise WebhookRefused(f"{host} resolves to {sockaddr[0]!r}") from None
            # One bad address refuses the name: a host that is also internal is not a webhook.
            reason = refusal(address, self.allowed)
            if reason:
                raise WebhookRefused(f"{host}: {reason}" if host != str(address) else reason)
        return addresses
