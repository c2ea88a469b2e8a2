"""Registering a run's model from the panel's API: deployers only, with aliases and history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inprocess.service import InProcessService
from tests.inprocess.test_run_tracking import run_to_end
from tests.runs.conftest import write_notebook
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller

pytestmark = pytest.mark.inprocess
TRAIN = (
    "import mlflow, mlflow.sklearn\n"
    "from sklearn.tree import DecisionTreeClassifier\n"
    "model = DecisionTreeClassifier(max_depth=depth).fit([[0], [1], [2]], [0, 1, 1])\n"
    "mlflow.log_metric('accuracy', 1.0)\n"
    "mlflow.sklearn.log_model(model, name='model', skops_trusted_types=['sklearn.tree._tree.Tree'])"
)


def test_deployers_register_a_runs_model_and_move_aliases(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    slug = project
    write_notebook(Path(hub.data_root) / "workspaces" / slug / "train.ipynb", "depth = 2", TRAIN)
    run = run_to_end(callers[ROLE_USERS["runner"]], slug, {"target": "train.ipynb"})
    deployer = callers[ROLE_USERS["deployer"]]
    body = {"run_id": run["id"], "name": "tumours", "aliases": ["challenger"]}
    for who in ("editor", "viewer"):
        r = callers[ROLE_USERS[who]]("POST", f"api/projects/{slug}/models", json=body)
        assert r.status_code == 403, r.text
    assert callers[OUTSIDER]("POST", f"api/projects/{slug}/models", json=body).status_code == 404
    r = deployer("POST", f"api/projects/{slug}/models", json=body)
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["name"] == "tumours"
    (version,) = model["versions"]
    assert version["version"] == "1"
    assert version["aliases"] == ["challenger"]
    assert version["scalelab_run_id"] == run["id"]
    assert version["run_id"] == run["tracking"]["run_id"]
    assert version["created_by"] == ROLE_USERS["deployer"]
    assert model["url"].endswith(f"services/scalelab/mlflow/{slug}/#/models/tumours")
    # A second version; the champion alias set on the first: the history shows both.
    assert deployer("POST", f"api/projects/{slug}/models", json=body).status_code == 201
    r = deployer(
        "PUT", f"api/projects/{slug}/models/tumours/aliases/champion", json={"version": "1"}
    )
    assert r.status_code == 200, r.text
    r = callers[ROLE_USERS["viewer"]]("GET", f"api/projects/{slug}/models")
    assert r.status_code == 200
    (listed,) = r.json()["models"]
    assert [(v["version"], v["aliases"]) for v in listed["versions"]] == [
        ("2", ["challenger"]),
        ("1", ["champion"]),
    ]
    r = callers[ROLE_USERS["editor"]](
        "DELETE", f"api/projects/{slug}/models/tumours/aliases/champion"
    )
    assert r.status_code == 403
    r = deployer("DELETE", f"api/projects/{slug}/models/tumours/aliases/champion")
    assert r.status_code == 200, r.text
    assert [v["aliases"] for v in r.json()["versions"]] == [["challenger"], []]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"run_id": "nosuchrun", "name": "m"}, 404, "nosuchrun"),
        ({"run_id": "abc", "name": "bad/name"}, 400, "name"),
        ({"run_id": "abc", "name": "m", "aliases": ["no spaces"]}, 400, "aliases"),
        ({"run_id": "abc", "name": "m", "artifact_path": "../x"}, 400, ""),
    ],
)
def test_bad_registrations_say_why(
    callers: dict[str, Caller], project: str, body: dict[str, object], status: int, says: str
) -> None:
    r = callers[ROLE_USERS["deployer"]]("POST", f"api/projects/{project}/models", json=body)
    assert r.status_code == status, r.text
    assert says in r.json()["message"]
