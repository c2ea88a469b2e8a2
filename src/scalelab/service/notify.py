"""Notifications about scheduled runs: a message for the project's members in the lab, and a
webhook in the format of Slack's incoming webhooks (Mattermost, Rocket.Chat and Teams' Slack
connector read it too).

Webhooks are sent in the background with retries (`webhooks.WebhookSender`); a slow or failing
receiver never holds up the scheduler, and each delivery is kept with the notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode

from traitlets import Float, Integer, List, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..runs.records import Run
from ..store import schedules as store_schedules
from ..store.models import utcnow
from .webhook_guard import IPNetwork, parse_networks
from .webhooks import WebhookSender

if TYPE_CHECKING:
    from ..store import Store


class Audience(Protocol):
    """Whom a notification is for: a project's members, and a webhook if one is set."""

    @property
    def project_id(self) -> int: ...
    @property
    def schedule_id(self) -> int | None: ...
    @property
    def webhook_url(self) -> str | None: ...


@dataclass(frozen=True)
class ProjectAudience:
    """The members of a project, and a webhook: for what is about no schedule (monitors)."""

    project_id: int
    webhook_url: str | None
    schedule_id: int | None = None


class Notifier(LoggingConfigurable):
    """Tells a project's members how its scheduled runs went: in the lab, and by webhook."""

    webhook_attempts = Integer(
        4, help="Attempts to deliver a webhook before giving up (and logging it)."
    ).tag(config=True)

    webhook_backoff = Float(
        2.0, help="Seconds before the second webhook attempt; doubled for each one after."
    ).tag(config=True)

    webhook_timeout = Float(10.0, help="Seconds a webhook receiver has to answer.").tag(config=True)

    webhook_hosts = List(
        Unicode(),
        help="""Hosts webhooks may be sent to, e.g. ['hooks.slack.com']; empty: any host.

        Editors choose webhook URLs: list the chat services you use. Checked when a schedule
        is saved and at each delivery, redirects included. Listing a host does not let it
        reach a non-public address: see webhook_allowed_networks.""",
    ).tag(config=True)

    webhook_allowed_networks = List(
        Unicode(),
        help="""Non-public networks webhooks may reach, as CIDRs or addresses, e.g.
        ['10.20.0.0/16'] for a chat server inside your network.

        By default a webhook goes to public addresses only: loopback, private, link-local
        (cloud metadata), multicast, reserved and unspecified addresses, and IPv6 forms of
        them, are refused, checked on the addresses the host resolves to at each delivery.""",
    ).tag(config=True)

    poll_interval = Float(
        1.0,
        help="Longest wait, in seconds, before looking for webhook deliveries that are due "
        "(other service processes may have added some).",
    ).tag(config=True)

    @validate("webhook_allowed_networks")
    def _valid_networks(self, proposal: Any) -> list[str]:
        try:
            parse_networks(proposal["value"])
        except ValueError as exc:
            raise TraitError(f"c.Notifier.webhook_allowed_networks: {exc}") from None
        return list(proposal["value"])

    @property
    def webhook_networks(self) -> list[IPNetwork]:
        return parse_networks(self.webhook_allowed_networks)

    def __init__(self, *, store: Store, public_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.public_url = public_url
        self.webhooks = WebhookSender(self)

    def lab_url(self, path: str, **query: str) -> str:
        """A link that opens `path` in the JupyterLab of whoever follows it."""
        url = f"{self.public_url.rstrip('/')}/hub/user-redirect/lab{path}"
        return url + ("?" + urlencode(query) if query else "")

    def run_links(self, record: Run, slug: str) -> dict[str, str]:
        links: dict[str, str] = {}
        failed = next((s for s in record.steps if s.status == "failed"), None)
        step = failed or (record.steps[-1] if record.steps else None)
        if step is not None and step.output:
            links["output"] = self.lab_url(f"/tree/runs/{quote(slug)}/{record.id}/{step.output}")
        if record.schedule_id is not None and step is not None:
            good = store_schedules.last_success(self.store, record.schedule_id, record.id)
            if good is not None:
                links["diff"] = self.lab_url(
                    "",
                    **{
                        "scalelab-project": slug,
                        "scalelab-run": record.id,
                        "scalelab-compare": good.id,
                        "scalelab-step": step.name,
                    },
                )
        return links

    def run_finished(self, firing: store_schedules.Firing, record: Run) -> None:
        failed = record.status != "succeeded"
        if firing.notify == "never" or (not failed and firing.notify != "always"):
            return
        level = "error" if failed else "success"
        title = f"Scheduled run {record.status}: {firing.name}"
        message = f"Run {record.id} of {record.target} in project {firing.slug} {record.status}"
        if record.error:
            message += f": {record.error}"
        self.notify(firing, level, title, message, self.run_links(record, firing.slug), record.id)

    def failed_to_start(self, firing: store_schedules.Firing, error: str) -> None:
        if firing.notify != "never":
            self.notify(firing, "error", f"Scheduled run did not start: {firing.name}", error, {})

    def missed(self, miss: store_schedules.Miss) -> None:
        if miss.notify == "never":
            return
        title = f"Schedule {miss.name} missed {miss.count} fire time(s)"
        self.notify(miss, "warning", title, miss.reason, {})

    def notify(
        self,
        about: Audience,
        level: str,
        title: str,
        message: str,
        links: dict[str, str],
        run_id: str | None = None,
    ) -> None:
        store_schedules.add_notification(
            self.store,
            project_id=about.project_id,
            level=level,
            title=title[:255],
            message=message[:2048],
            links=links,
            run_id=run_id,
            schedule_id=about.schedule_id,
            webhook="pending" if about.webhook_url else "",
            webhook_url=about.webhook_url or None,
            webhook_next_at=utcnow() if about.webhook_url else None,
        )
        if about.webhook_url:
            self.webhooks.wake()

    def start(self) -> None:
        self.webhooks.start()

    async def close(self) -> None:
        await self.webhooks.close()
