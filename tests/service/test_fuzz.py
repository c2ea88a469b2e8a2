"""Generated requests for every operation of the OpenAPI document: none may get a 5xx.

Bodies follow the operation's schema (with odd values where it allows any), or are any JSON,
or any bytes; path and query parameters are short texts, some chosen to reach deep checks. The
number of examples is fixed and the generation derandomized, so a run takes the same time and
finds the same things each time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalelab.service.openapi import build_openapi
from scalelab.service.routes import API_ROUTES
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import ROLE_USERS, Caller

pytestmark = pytest.mark.hub
EXAMPLES = 100  # per operation: some 20 s for the whole document
DOC = build_openapi(API_ROUTES, "/services/scalelab/")
OPERATIONS = [(method, path) for path, ops in DOC["paths"].items() for method in ops]

# Texts that reach further than random ones: files of the fuzzed workspace, crons, templates.
ODD_TEXTS = [
    "",
    "\x00",
    "broken.ipynb",
    "pipeline.yaml",
    "README.md",
    "../../etc/passwd",
    "/etc/passwd",
    "0 0 30 2 *",
    "*/1 * * * *",
    "0 6 * * *",
    "Europe/Paris",
    "{{ 9 ** 999999999 }}",
    "role-extra",
    "x" * 300,
]
TEXT = st.one_of(st.sampled_from(ODD_TEXTS), st.text(max_size=20))
# Lone surrogates reach the service in JSON bodies only ("\ud800"): no URL can carry one.
BODY_TEXT = TEXT | st.just("\ud800")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | BODY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(BODY_TEXT, inner, max_size=4),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for the JSON schemas pydantic writes: mostly of the right shape, not always."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return from_schema(DOC["components"]["schemas"][name], depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, depth) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | BODY_TEXT
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "object" and "properties" in schema and depth < 3:
        fields = {k: from_schema(v, depth + 1) for k, v in schema["properties"].items()}
        return st.fixed_dictionaries(
            {k: fields[k] for k in schema.get("required", [])},
            optional={k: s for k, s in fields.items() if k not in schema.get("required", [])},
        )
    simple: dict[str, st.SearchStrategy[Any]] = {
        "string": BODY_TEXT,
        "integer": st.integers(-10, 10) | st.integers(),
        "number": st.floats(allow_nan=False) | st.integers(),
        "boolean": st.booleans(),
        "null": st.none(),
        "array": st.lists(JSON, max_size=3),
    }
    return simple.get(kind, JSON)  # type: ignore[arg-type]


def request_strategy(method: str, path: str, slug: str) -> st.SearchStrategy[dict[str, Any]]:
    op = DOC["paths"][path][method]
    params = op.get("parameters", [])
    path_values = {
        p["name"]: st.just(slug) if p["name"] == "slug" else TEXT.filter(lambda t: "/" not in t)
        for p in params
        if p["in"] == "path"
    }
    if "kind" in path_values:
        path_values["kind"] = st.sampled_from(["user", "group"])
    if "schedule_id" in path_values:
        path_values["schedule_id"] = st.sampled_from(["1", "0", "999999999999"])
    query = {p["name"]: TEXT for p in params if p["in"] == "query"}
    body: st.SearchStrategy[Any] = st.none()
    if "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        body = st.one_of(
            from_schema(schema).map(lambda v: json.dumps(v).encode()),
            JSON.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=40),
        )
    return st.fixed_dictionaries(
        {"path": st.fixed_dictionaries(path_values), "body": body},
        optional={"query": st.fixed_dictionaries({}, optional=query)},
    )


@pytest.fixture
def fuzzed_project(hub: Hub, callers: dict[str, Caller], project: str) -> str:
    """The project, with a schedule and files that are not what they claim to be.

    The schedule's notebook is removed once it exists: nothing the fuzzer does starts a run.
    """
    folder = hub.data_root / "workspaces" / project
    notebook = write_notebook(folder / "nb.ipynb", "x = 'a'", "print(x)")
    schedule = {"name": "fuzz", "target": "nb.ipynb", "cron": "0 6 * * *", "paused": True}
    r = callers[ROLE_USERS["owner"]]("POST", f"api/projects/{project}/schedules", json=schedule)
    assert r.status_code == 201, r.text
    Path(notebook).unlink()
    (folder / "broken.ipynb").write_text("{")
    (folder / "pipeline.yaml").write_text(
        "name: p\nparameters: {n: 1}\nsteps:\n  - {name: a, notebook: broken.ipynb}\n"
    )
    return project


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_generated_requests_get_no_server_error(
    callers: dict[str, Caller], fuzzed_project: str, method: str, path: str
) -> None:
    caller = callers[ROLE_USERS["owner"]]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(request_strategy(method, path, fuzzed_project))
    def check(request: dict[str, Any]) -> None:
        url = path.lstrip("/").format(**request["path"])
        r = caller(method.upper(), url, params=request.get("query"), data=request["body"])
        assert r.status_code < 500, f"{method.upper()} {url} {request}: {r.text}"

    check()
