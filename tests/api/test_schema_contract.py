"""The OpenAPI schema says what the API does (issue 11): error answers declared on every
operation, decimals as the strings the API returns, nullable and blank values marked, no enum
holding an empty value. The schema fuzz test checks real answers against it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_every_operation_declares_its_error_answers(schema: dict[str, Any]) -> None:
    detail = {"$ref": "#/components/schemas/ErrorDetail"}
    ops = operations(schema)
    assert len(ops) >= 59
    for path, method, op in ops:
        responses = op["responses"]
        expected = {"401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:
            expected |= {"400", "415"}
        missing = expected - set(responses)
        assert not missing, f"{method.upper()} {path} does not declare {sorted(missing)}"
        for code in expected - {"400"}:
            body = responses[code]["content"]["application/json"]["schema"]
            assert body == detail, (method, path, code)
        if "400" in responses:
            body = responses["400"]["content"]["application/json"]["schema"]
            assert body["type"] == "object" and "additionalProperties" in body


def test_list_filters_and_pages_declare_400_and_404(schema: dict[str, Any]) -> None:
    for path in ("/api/leads/", "/api/test-drives/", "/api/absences/", "/api/follow-ups/"):
        assert {"400", "404"} <= set(schema["paths"][path]["get"]["responses"]), path


def test_decimals_are_documented_as_the_strings_the_api_returns(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for name, prop in (
        ("Order", "paid"),
        ("Order", "balance"),
        ("Order", "trade_in_value"),
        ("Order", "total"),
        ("Quote", "amount_due"),
        ("Quote", "total"),
        ("Payment", "amount"),
    ):
        field = components[name]["properties"][prop]
        assert (field["type"], field["format"]) == ("string", "decimal"), (name, prop)
    # Nowhere a decimal declared as a JSON number.
    for node in walk(components):
        if isinstance(node, dict) and node.get("format") == "decimal":
            assert node["type"] == "string", node


def test_nullable_and_blank_answers_are_declared(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Lead"]["properties"]["lost_reason"]["nullable"] is True
    assert components["Quote"]["properties"]["colour"]["nullable"] is True
    result = components["FollowUp"]["properties"]["result"]
    assert {"type": "string", "maxLength": 0} in result["oneOf"]


def test_no_enum_holds_an_empty_value(schema: dict[str, Any]) -> None:
    assert "BlankEnum" not in schema["components"]["schemas"]
    for node in walk(schema):
        if isinstance(node, dict) and "enum" in node:
            assert "" not in node["enum"], node


def test_required_sales_notes_are_always_in_the_answer(schema: dict[str, Any]) -> None:
    for name in ("TestDrive", "Quote", "Order"):
        assert "notes" in schema["components"]["schemas"][name]["required"]
