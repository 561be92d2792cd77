"""HTML escaping for rows built in Python (lead list, funnel, my day)."""

from __future__ import annotations

import html
from typing import Any


def escape(value: Any) -> str:
    """conditional_escape, minus the keep_lazy wrapper of django.utils.html.escape (which costs
    more than the escaping on pages of hundreds of cells): safe strings (badges) pass as they
    are, everything else is HTML-escaped exactly as escape() does."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
