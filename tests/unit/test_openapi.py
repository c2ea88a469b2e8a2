"""The OpenAPI document and the handlers stay in step."""

from __future__ import annotations

from tornado.web import RequestHandler

from scalelab.service.openapi import build_openapi, openapi_path
from scalelab.service.routes import API_ROUTES

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def implemented_methods(handler: type[RequestHandler]) -> set[str]:
    return {m for m in HTTP_METHODS if getattr(handler, m) is not getattr(RequestHandler, m)}


def test_every_route_method_is_documented_and_nothing_else() -> None:
    doc = build_openapi(API_ROUTES, "/services/scalelab/")
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    routed = {
        (openapi_path(pattern), m)
        for pattern, handler in API_ROUTES
        for m in implemented_methods(handler)
    }
    assert documented == routed


def test_models_are_in_components_and_refs_resolve() -> None:
    doc = build_openapi(API_ROUTES, "/services/scalelab/")
    schemas = doc["components"]["schemas"]
    for name in ("UserModel", "HealthModel", "ErrorModel", "PreferencesModel"):
        assert name in schemas

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_path_parameters_become_template_names() -> None:
    assert openapi_path(r"api/projects/(?P<slug>[^/]+)/runs") == "/api/projects/{slug}/runs"


def test_operations_taking_a_body_or_query_parameters_list_400() -> None:
    doc = build_openapi(API_ROUTES, "/services/scalelab/")
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            takes_query = any(p["in"] == "query" for p in op.get("parameters", []))
            if takes_query or "requestBody" in op:
                assert "400" in op["responses"], (method, path)


def test_response_fields_with_defaults_are_required_and_body_fields_are_not() -> None:
    # A response is a whole model_dump_json(); a request body may leave defaulted fields out.
    schemas = build_openapi(API_ROUTES, "/services/scalelab/")["components"]["schemas"]
    assert "queue_position" in schemas["RunModel"]["required"]
    assert "request_id" in schemas["ErrorModel"]["required"]
    assert schemas["ProjectCreate"]["required"] == ["slug"]
