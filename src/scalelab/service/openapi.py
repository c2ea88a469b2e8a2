"""The OpenAPI document, generated from the route table and the handlers' declared operations."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from .._version import __version__
from ..roles import RoleName
from .models import ErrorModel

REF = "#/components/schemas/{model}"
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
ERROR_TEXT = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Authenticated, but not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
}


@dataclass(frozen=True)
class Operation:
    """What one HTTP method of a handler takes and returns, for the OpenAPI document."""

    summary: str
    response: type[BaseModel] | None
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = (401, 403)
    tags: tuple[str, ...] = field(default_factory=tuple)
    role: RoleName | None = None  # project role needed; checked by ProjectHandler.prepare
    status: int = 200
    query: tuple[str, ...] = ()  # required query parameters
    optional_query: tuple[str, ...] = ()


def openapi_path(pattern: str) -> str:
    """`api/projects/(?P<slug>[^/]+)` -> `/api/projects/{slug}`."""
    return "/" + _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern).rstrip("$")


class _ResponseSchema(GenerateJsonSchema):
    """Responses are whole `model_dump_json()`s: a field with a default is still always there."""

    def field_is_required(self, field: Any, total: bool) -> bool:
        return not field.get("serialization_exclude")


def _ref(model: type[BaseModel], schemas: dict[str, Any], response: bool) -> dict[str, str]:
    schema = (
        model.model_json_schema(
            ref_template=REF, schema_generator=_ResponseSchema, mode="serialization"
        )
        if response
        else model.model_json_schema(ref_template=REF)
    )
    for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        # One schema per name, for the generated API types: a model sent and received alike,
        # and no two models of one name.
        if schemas.setdefault(name, sub) != sub:
            raise ValueError(f"{name} would need two schemas (request and response, or 2 models)")
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], schemas: dict[str, Any], response: bool) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model, schemas, response)}}


def build_openapi(routes: list[tuple[str, Any]], base_url: str) -> dict[str, Any]:
    """Describe every (pattern, handler) route whose handler declares `operations`."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for pattern, handler in routes:
        operations: dict[str, Operation] = getattr(handler, "operations", {})
        if not operations:
            continue
        path = paths.setdefault(openapi_path(pattern), {})
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _GROUP.findall(pattern)
        ]
        for method, op in operations.items():
            responses: dict[str, Any] = {}
            content = (
                _json(op.response, schemas, response=True)
                if op.response is not None
                else {"application/json": {"schema": {"type": "object"}}}
            )
            if op.status == 204:
                responses["204"] = {"description": "Done; no content"}
            else:
                responses[str(op.status)] = {"description": "OK", "content": content}
            # Whatever a caller sends, a body or query parameters, can be refused as malformed.
            sent = {400} if op.query or op.optional_query else set()
            sent |= {400, 413} if op.body else set()
            for status in sorted({*op.errors, 404} | sent):
                responses[str(status)] = {
                    "description": ERROR_TEXT.get(status, "Error"),
                    "content": _json(ErrorModel, schemas, response=True),
                }
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{method}_{handler.__name__}",
                "responses": responses,
                "security": [{"hubToken": []}, {"hubOAuth": []}],
            }
            if op.tags:
                entry["tags"] = list(op.tags)
            if op.role:
                entry["description"] = f"Needs the `{op.role}` role in the project."
                entry["x-scalelab-role"] = op.role
            query = [
                {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}
                for names, required in ((op.query, True), (op.optional_query, False))
                for name in names
            ]
            if params or query:
                entry["parameters"] = params + query
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": _json(op.body, schemas, response=False),
                }
            path[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "ScaleLab", "version": __version__},
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "hubToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <JupyterHub API token>`",
                },
                "hubOAuth": {"type": "apiKey", "in": "cookie", "name": "service-scalelab"},
            },
        },
    }


SERVICE_PREFIX = "/services/scalelab/"


def openapi_json() -> str:
    """The OpenAPI document of the service at its usual prefix, as stable (key-sorted) JSON.

    The extension's API types are generated from it: `make api-types`.
    """
    from .routes import API_ROUTES  # imported here: the handlers import this module

    doc = build_openapi(API_ROUTES, SERVICE_PREFIX)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """`python -m scalelab.service.openapi`: print the document without running the service."""
    sys.stdout.write(openapi_json())


if __name__ == "__main__":
    main()
