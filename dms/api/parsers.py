"""Request body parsers of the API: DRF's own, refusing NUL characters anywhere in the body.

PostgreSQL cannot store (or even compare against) text holding NUL (0x00); DRF's CharField
refuses it, but a body also feeds slug look-ups, choice fields and JSON fields. Checking the
parsed body once here answers every such input with a 400 before any view runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from .filters import NUL, NUL_MESSAGE


def holds_nul(data: Any) -> bool:
    if isinstance(data, str):
        return NUL in data
    if hasattr(data, "lists"):  # QueryDict: every value of every key
        return any(NUL in key or holds_nul(values) for key, values in data.lists())
    if isinstance(data, Mapping):
        return any(holds_nul(key) or holds_nul(value) for key, value in data.items())
    if isinstance(data, list | tuple):
        return any(holds_nul(item) for item in data)
    return False


def _checked(data: Any) -> Any:
    if holds_nul(data):
        raise ParseError(NUL_MESSAGE)
    return data


class NulFreeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return _checked(super().parse(stream, media_type, parser_context))


class NulFreeFormParser(FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return _checked(super().parse(stream, media_type, parser_context))


class NulFreeMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _checked(parsed.data)
        return parsed
