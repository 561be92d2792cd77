from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dealers.selectors import NO_ACCESS


def tenancy(request: HttpRequest) -> dict[str, Any]:
    return {"access": getattr(request, "access", NO_ACCESS)}
