"""Webhooks through the API: literal non-public addresses refused when a schedule is saved,
credentials in webhook URLs and delivery details shown to editors and above only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from scalelab.roles import ROLES, includes
from scalelab.store import Store
from scalelab.store.models import NotificationRow, ProjectRow
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import ROLE_USERS, Caller

pytestmark = pytest.mark.hub

SECRET_URL = "https://bot:s3cret@hooks.example.com/services/T01/B02/XyZ?token=abc&channel=ops"
REDACTED = "https://***@hooks.example.com/services/***/***/***?token=***&channel=***"
SCHEDULE = {"name": "hook", "target": "nb.ipynb", "cron": "0 6 * * *", "paused": True}


def owner_of(callers: dict[str, Caller]) -> Caller:
    return callers[ROLE_USERS["owner"]]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://10.0.0.8/admin", "10.0.0.8 is a private address"),
        ("http://127.0.0.1:8081/hub/api", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:8081/", "as 127.0.0.1 inside an IPv6 address"),
        ("http://localhost:8081/", "is a loopback address"),
    ],
)
def test_a_webhook_to_a_literal_non_public_address_is_refused(
    hub: Hub, callers: dict[str, Caller], project: str, url: str, reason: str
) -> None:
    write_notebook(hub.data_root / "workspaces" / project / "nb.ipynb", "n = 1", "n")
    editor = callers[ROLE_USERS["editor"]]
    r = editor("POST", f"api/projects/{project}/schedules", json=SCHEDULE | {"webhook_url": url})
    assert r.status_code == 400, r.text
    assert reason in r.json()["message"] and "webhook_allowed_networks" in r.json()["message"]
    assert editor("GET", f"api/projects/{project}/schedules").json()["schedules"] == []

    made = editor("POST", f"api/projects/{project}/schedules", json=SCHEDULE)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    r = editor("PATCH", f"api/projects/{project}/schedules/{sid}", json={"webhook_url": url})
    assert r.status_code == 400 and reason in r.json()["message"], r.text
    after = editor("GET", f"api/projects/{project}/schedules/{sid}").json()
    assert after["webhook"] is None and after["webhook_url"] is None


def test_webhook_credentials_are_shown_to_editors_and_above_only(
    hub: Hub, callers: dict[str, Caller], project: str
) -> None:
    write_notebook(hub.data_root / "workspaces" / project / "nb.ipynb", "n = 1", "n")
    r = owner_of(callers)(
        "POST", f"api/projects/{project}/schedules", json=SCHEDULE | {"webhook_url": SECRET_URL}
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    for role in ROLES:
        caller = callers[ROLE_USERS[role]]
        one = caller("GET", f"api/projects/{project}/schedules/{sid}").json()
        [listed] = caller("GET", f"api/projects/{project}/schedules").json()["schedules"]
        expected = SECRET_URL if includes(role, "editor") else REDACTED
        for schedule in (one, listed):
            assert schedule["webhook_url"] == expected, role
            assert schedule["webhook"] == "https://hooks.example.com/…", role
        if not includes(role, "editor"):
            text = str(one) + str(listed)
            assert not any(s in text for s in ("s3cret", "bot:", "=abc", "=ops", "XyZ", "B02"))
    admin = callers["admin"]("GET", f"api/projects/{project}/schedules/{sid}").json()
    assert admin["webhook_url"] == SECRET_URL


def test_delivery_details_are_for_editors_and_above_only(
    hub: Hub, callers: dict[str, Caller], project: str
) -> None:
    detail = "failed after 4 attempts: ConnectionRefusedError: [Errno 111] Connection refused"
    store = Store(f"sqlite:///{hub.data_root / 'scalelab.sqlite'}")
    try:
        with store.session() as session:
            project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.slug == project))
            for state, said in (("failed", detail), ("pending", "attempt 1 of 4: HTTP 502")):
                session.add(
                    NotificationRow(
                        project_id=project_id,
                        level="error",
                        title=f"webhook {state}",
                        message="m",
                        links={},
                        webhook=state,
                        webhook_detail=said,
                    )
                )
    finally:
        store.dispose()

    def mine(caller: Caller) -> list[dict[str, Any]]:
        notes = caller("GET", "api/notifications").json()["notifications"]
        return [n for n in notes if n["project"] == project]

    for role in ROLES:
        notes = {n["title"]: n for n in mine(callers[ROLE_USERS[role]])}
        assert notes["webhook failed"]["webhook"] == "failed", role
        assert notes["webhook pending"]["webhook"] == "pending", role
        if includes(role, "editor"):
            assert notes["webhook failed"]["webhook_detail"] == detail
            assert notes["webhook pending"]["webhook_detail"] == "attempt 1 of 4: HTTP 502"
        else:
            assert all(n["webhook_detail"] is None for n in notes.values()), role
            assert "Errno" not in str(notes) and "502" not in str(notes)
