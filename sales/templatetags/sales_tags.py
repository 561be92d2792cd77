"""Template helpers of the showroom pages and the quote PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from sales.services import money as _money

register = template.Library()


@register.filter
def money(value: Any, currency: str = "EUR") -> str:
    """{{ quote.total|money:quote.currency }} → "EUR 21,490.00"."""
    if value in (None, ""):
        return ""
    return _money(Decimal(str(value)), currency or "EUR")


@register.simple_tag
def lead_url(lead_id: int | None) -> str:
    """The lead's page in the funnel app, or "" while that page does not exist."""
    if not lead_id:
        return ""
    for name in ("leads:lead_detail", "leads:lead"):
        try:
            return reverse(name, args=[lead_id])
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag
def customer_url(customer_id: int | None) -> str:
    if not customer_id:
        return ""
    for name in ("leads:customer_detail", "leads:customer"):
        try:
            return reverse(name, args=[customer_id])
        except NoReverseMatch:
            continue
    return ""


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return (mapping or {}).get(key)


STATUS_CLASSES = {
    "booked": "text-bg-primary",
    "out": "text-bg-warning",
    "done": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "no_show": "text-bg-secondary",
    "draft": "text-bg-secondary",
    "sent": "text-bg-info",
    "accepted": "text-bg-success",
    "superseded": "text-bg-light border",
    "declined": "text-bg-danger",
    "open": "text-bg-primary",
    "delivered": "text-bg-success",
    "pending": "text-bg-warning",
    "approved": "text-bg-success",
    "rejected": "text-bg-danger",
}


@register.filter
def status_class(status: str) -> str:
    """Bootstrap badge classes for a test drive / quote / order / discount status."""
    return STATUS_CLASSES.get(status, "text-bg-light border")
