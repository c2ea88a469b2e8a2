"""Who is asking: the identity JupyterHub vouched for, as the rest of ScaleLab sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["user", "service"]


@dataclass(frozen=True)
class Identity:
    """A JupyterHub user or service, as resolved from a token or an OAuth cookie."""

    name: str
    kind: Kind = "user"
    admin: bool = False
    groups: tuple[str, ...] = field(default_factory=tuple)
    # When the hub made this account. A membership older than that was granted to an earlier
    # account of the same name, deleted since: it must not pass to the new one.
    since: datetime | None = None

    @classmethod
    def from_hub_model(cls, model: dict[str, Any]) -> Identity:
        """Build from the model that JupyterHub's ``HubAuth.get_user`` returns."""
        kind = model.get("kind", "user")
        if kind not in ("user", "service"):
            raise ValueError(f"unknown JupyterHub entity kind {kind!r}")
        return cls(
            name=model["name"],
            kind=kind,
            admin=bool(model.get("admin", False)),
            groups=tuple(sorted(model.get("groups") or ())),
            since=hub_time(model.get("created")),
        )


def hub_time(value: Any) -> datetime | None:
    """A timestamp of JupyterHub's REST API (ISO 8601, UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
