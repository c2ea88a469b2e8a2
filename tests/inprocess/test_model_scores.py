"""Labels posted after the fact score the deployed model: each prediction is found in the
request log by the request id it was answered with, and joined to its label."""

from __future__ import annotations

import pytest
import requests

from scalelab.client import ServiceClient
from scalelab.serving.client import DeploymentError, Endpoints
from tests.inprocess.service import InProcessService
from tests.inprocess.test_deployments import ROWS, endpoint_when, register
from tests.service.conftest import ROLE_USERS, Caller
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess


def test_labels_posted_later_score_the_live_model(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    version = register(callers, hub, project, 1)
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    body = {"name": "tumours", "model_uri": f"models:/tumours/{version}", "request_log_rate": 1}
    assert deployer("POST", f"api/projects/{project}/deployments", json=body).status_code == 202
    endpoint_when(viewer, project, lambda d: d["state"] == "live", "never went live")

    # Ten calls, each with its own request id (as a client that tracks its requests sends).
    answered = {}
    for n in range(10):
        r = requests.post(
            f"{hub.service_url}serve/{project}/tumours/invocations",
            json=ROWS,
            headers={**viewer.headers, "X-Request-Id": f"case-{n}"},
            timeout=30,
        )
        assert r.status_code == 200 and r.headers["X-Request-Id"] == f"case-{n}"
        answered[f"case-{n}"] = r.json()["predictions"]
    scores = f"api/projects/{project}/deployments/tumours/scores"
    wait_until(lambda: viewer("GET", scores).json()["overall"]["predictions"] == 20, 30, 0.2)

    # Eight requests labelled: six right on both rows, two wrong on both; two not yet.
    labels = {rid: list(p) for rid, p in list(answered.items())[:6]}
    labels |= {rid: [1 - v for v in p] for rid, p in list(answered.items())[6:8]}
    editor = Endpoints(project, ServiceClient(hub.service_url, hub.token_for(ROLE_USERS["editor"])))
    assert editor.log_labels("tumours", labels) == 8
    found = viewer("GET", scores).json()
    assert found["metric"] == "accuracy"
    assert found["overall"]["labelled"] == 16 and found["overall"]["predictions"] == 20
    assert found["overall"]["value"] == pytest.approx(12 / 16)
    assert [h["value"] for h in found["hours"]] == [pytest.approx(12 / 16)]

    # A correction replaces a label; other metrics on request.
    editor.log_labels("tumours", {"case-6": answered["case-6"]})
    assert viewer("GET", scores).json()["overall"]["value"] == pytest.approx(14 / 16)
    f1 = viewer("GET", scores + "?metric=f1&hours=2").json()
    assert f1["metric"] == "f1" and 0 < f1["overall"]["value"] <= 1

    # Viewers read scores but post no labels; bad input says why.
    as_viewer = Endpoints(
        project, ServiceClient(hub.service_url, hub.token_for(ROLE_USERS["viewer"]))
    )
    with pytest.raises(DeploymentError, match="editor"):
        as_viewer.log_labels("tumours", {"case-0": 1})
    for query, says in (("?metric=auc", "metric"), ("?hours=0", "hours"), ("?hours=x", "hours")):
        r = viewer("GET", scores + query)
        assert r.status_code == 400 and says in r.json()["message"], r.text
    labels_url = f"api/projects/{project}/deployments/tumours/labels"
    for bad in (
        {"labels": []},
        {"labels": [{"request_id": "../x", "label": 1}]},
        {"labels": [{"request_id": "a", "label": {"nested": 1}}]},
        {"labels": [{"request_id": f"r{i}", "label": 1} for i in range(10_001)]},
    ):
        r = callers[ROLE_USERS["editor"]]("POST", labels_url, json=bad)
        assert r.status_code == 400, r.text
    assert viewer("GET", scores).json()["overall"]["value"] == pytest.approx(14 / 16)
