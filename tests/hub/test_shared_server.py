"""A server shared through the hub: its guest must not act as its owner toward the service."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.hubctl import running_hub

pytestmark = pytest.mark.hub

# Alice may share her servers with others by name, as a deployment may allow.
SHARING = """
c.JupyterHub.load_roles.append(
    {"name": "sharer", "users": ["alice"], "scopes": ["shares!user", "read:users:name"]}
)
"""


def test_a_guest_of_a_shared_server_cannot_act_as_its_owner(tmp_path: Path) -> None:
    with running_hub(tmp_path, extra_config=SHARING) as hub:
        alice = {"Authorization": f"token {hub.token_for('alice')}"}
        r = requests.post(
            hub.service_url + "api/projects", json={"slug": "alices"}, headers=alice, timeout=30
        )
        assert r.status_code == 201, r.text
        hub.start_server("alice")
        r = requests.post(
            hub.url + "hub/api/shares/alice/", json={"user": "bob"}, headers=alice, timeout=30
        )
        assert r.status_code == 200, r.text
        bob = {"Authorization": f"token {hub.token_for('bob')}"}
        lab = hub.url + "user/alice/"
        # The share works: bob reaches alice's server, and alice her own ScaleLab through it.
        assert requests.get(lab + "api/status", headers=bob, timeout=30).status_code == 200
        mine = requests.get(lab + "scalelab/api/projects", headers=alice, timeout=30)
        assert mine.status_code == 200
        assert "alices" in mine.text

        listed = requests.get(lab + "scalelab/api/projects", headers=bob, timeout=30)
        assert listed.status_code == 403
        assert "alices" not in listed.text
        assert "only for alice" in listed.json()["message"]
        made = requests.post(
            lab + "scalelab/api/projects", json={"slug": "by-bob"}, headers=bob, timeout=30
        )
        assert made.status_code == 403
        r = requests.get(hub.service_url + "api/projects/by-bob", headers=alice, timeout=30)
        assert r.status_code == 404
