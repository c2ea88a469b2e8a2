"""A small client of the ScaleLab service's REST API for the command line, with a hub token."""

from __future__ import annotations

import os
from typing import Any

import requests


class RemoteError(Exception):
    """The service refused or could not be reached; the message is one line for a person."""


class ServiceClient:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    @classmethod
    def from_args(cls, url: str | None, token: str | None, command: str) -> ServiceClient:
        """From --service/--token, else $SCALELAB_SERVICE_URL / $JUPYTERHUB_API_TOKEN."""
        url = url or os.environ.get("SCALELAB_SERVICE_URL", "")
        token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not url or not token:
            raise RemoteError(
                f"{command} needs the service URL (--service or $SCALELAB_SERVICE_URL) and a hub "
                "token (--token or $JUPYTERHUB_API_TOKEN)"
            )
        return cls(url, token)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.url}/{path.lstrip('/')}"
        try:
            r = self.session.request(method, url, timeout=60, **kwargs)
        except requests.RequestException as exc:
            raise RemoteError(f"cannot reach {url}: {exc.__class__.__name__}") from None
        if r.status_code >= 400:
            try:
                message = r.json()["message"]
            except (ValueError, KeyError):
                message = r.reason
            raise RemoteError(f"{r.status_code}: {message}")
        return r.json() if r.content else None
