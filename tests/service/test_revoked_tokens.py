"""A revoked hub token stops writing at once, however recently it was seen."""

from __future__ import annotations

import pytest
import requests

from tests.hubctl import Hub
from tests.service.conftest import new_slug

pytestmark = pytest.mark.hub


def test_a_revoked_token_cannot_write_even_while_its_reads_are_cached(hub: Hub) -> None:
    user = "revoker"
    token = hub.token_for(user)
    headers = {"Authorization": f"token {token}"}

    def call(method: str, path: str, **kwargs: object) -> requests.Response:
        return requests.request(
            method, hub.service_url + path, headers=headers, timeout=30, **kwargs
        )

    assert call("GET", "api/me").status_code == 200  # the service now knows the token
    tokens = hub.api("GET", f"users/{user}/tokens").json()["api_tokens"]
    for t in tokens:
        hub.api("DELETE", f"users/{user}/tokens/{t['id']}").raise_for_status()
    slug = new_slug("revoked")
    r = call("POST", "api/projects", json={"slug": slug})
    assert r.status_code in (401, 403), r.text
    assert call("PUT", "api/me/preferences", json={"preferences": {}}).status_code in (401, 403)
    # Nothing was made.
    admin = {"Authorization": f"token {hub.token_for('admin')}"}
    r = requests.get(hub.service_url + f"api/projects/{slug}", headers=admin, timeout=30)
    assert r.status_code == 404
