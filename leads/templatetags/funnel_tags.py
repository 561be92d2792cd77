"""Template filters of the funnel pages."""

from __future__ import annotations

from django import template

from leads.services.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number in international notation for reading ("+49 151 23456789")."""
    return format_phone(value or "") or (value or "")


@register.filter
def percent_of(value: int, total: int) -> int:
    """Whole percent of `value` in `total` (0 when total is 0), for <progress> bars."""
    return round(100 * value / total) if total else 0
