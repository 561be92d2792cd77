"""OpenAPI schema helpers (drf-spectacular): the project's AutoSchema, which declares the error
answers every operation can give, and a postprocessing hook; field schemas shared by the apps'
serializers.

Error answers (DRF's own bodies):
- 400: a body or a query that does not validate: field name -> messages, nested like the input;
  a body that does not parse (or holds NUL characters): {"detail": "..."};
- 401 (no or bad credentials), 403 (role or scope), 404 (not found, also another dealer's
  object, a page that does not exist), 415 (a body in another media type), 429 (throttled):
  {"detail": "..."}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# Money and other decimals are strings in every answer (DRF's COERCE_DECIMAL_TO_STRING, kept on:
# no float rounding in a client); values computed by a method field are declared the same way.
DECIMAL_STRING: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+(\.\d+)?$",
    "example": "21490.00",
}
decimal_string_field = extend_schema_field(DECIMAL_STRING)


class ErrorDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The body of a 401, 403, 404, 415 or 429 answer (and of a 400 for a body that does not
    parse)."""

    detail = serializers.CharField(help_text="What went wrong, in the user's language.")


VALIDATION_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": (
        "Input that does not validate: each field (or `non_field_errors`) maps to its messages, "
        "nested objects mirror nested input; a body that does not parse: `detail`."
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}

ERROR_DESCRIPTIONS = {
    "400": _("Bad input: nothing was changed"),
    "401": _("Not authenticated"),
    "403": _("Not allowed for this role or scope"),
    "404": _("Not found (or not visible to the caller)"),
    "415": _("Unsupported media type"),
    "422": _("The idempotency key was already used for another request"),
    "429": _("Too many requests: try again later"),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[A-Za-z0-9_\-:.]{8,64}$",
    description=(
        "Makes a retry safe: the first request with a key runs, a repeat (same user, path and "
        "method) waits for it and gets its answer, with the header `Idempotent-Replayed: true`. "
        "A key used for another request answers 422."
    ),
)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, adding the error answers each operation can give and the
    Idempotency-Key header of every POST (dms.idempotency)."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            body: Any = VALIDATION_ERRORS if code == "400" else ErrorDetailSerializer
            response = self._get_response_for_code(body, code, direction=direction)
            response["description"] = str(ERROR_DESCRIPTIONS[code])
            responses[code] = response
        return responses

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        model_field = _model_field_of(field)
        if model_field is None or not field.read_only:
            return schema
        # DRF drops `allow_blank` from read-only fields, and a field declared on the serializer
        # does not learn `null` from the model: the answer still carries "" and null.
        if getattr(model_field, "blank", False) and "enum" in schema and "" not in schema["enum"]:
            schema["enum"] = [*schema["enum"], ""]
        if getattr(model_field, "null", False) and not field.allow_null:
            schema["nullable"] = True
        return schema

    def _error_codes(self) -> list[str]:
        view = self.view
        has_body = self.method in ("POST", "PUT", "PATCH") and self._has_request_body()
        # The filter backend reads (and checks) the query string of list and detail look-ups.
        filtered = bool(getattr(view, "filter_backends", None)) and hasattr(view, "get_queryset")
        paginated = self._is_list_view() and self._get_paginator() is not None
        codes = []
        if has_body or filtered or self.method == "POST":  # POST: a malformed idempotency key
            codes.append("400")
        if not self._allows_anyone():
            codes += ["401", "403"]
        if "{" in self.path or paginated:
            codes.append("404")
        if has_body:
            codes.append("415")
        if self.method == "POST":
            codes.append("422")
        if getattr(view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _has_request_body(self) -> bool:
        return self._get_request_body() is not None

    def _allows_anyone(self) -> bool:
        permissions = getattr(self.view, "permission_classes", [])
        return bool(permissions) and all(p is AllowAny for p in permissions)


def _model_field_of(field: Any) -> Any:
    """The model field a ModelSerializer's field reads directly (no dotted source), else None."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", "")
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


def blank_as_empty_string(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: drf-spectacular describes "no choice made" of an optional choice field
    as a reference to `BlankEnum`, an enum whose one value is the empty string; describe it as
    what it is instead, an empty string."""
    schemas = result.get("components", {}).get("schemas", {})
    blank_ref = "#/components/schemas/BlankEnum"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("$ref") == blank_ref:
                return {"type": "string", "maxLength": 0}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    schemas.pop("BlankEnum", None)
    return rewrite(result)  # type: ignore[no-any-return]


class QueryCheckedSchema(AutoSchema):
    """A GET whose query string is validated: it answers 400 to bad parameters too."""

    def _error_codes(self) -> list[str]:
        codes = super()._error_codes()
        return codes if "400" in codes else ["400", *codes]
