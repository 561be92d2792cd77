"""`{% load clock %}`: dates and times as people read them (dms.ui.dates), in the zone active for
the request (the dealer's: dms.tenancy.middleware), or in one row's own dealer's zone on pages
that mix dealers (HQ), with that zone named where it is not the reader's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dealers.clock import zone_named
from dms.ui.dates import human_date, human_datetime, human_time, zone_label

register = template.Library()


@register.filter
def when(value: dt.datetime | None, arg: str = "") -> str:
    """A moment: "7 Dec, 14:05"; the year when not this year; `when:"weekday"` adds the day's
    name ("Thu 1 Jan 2099, 09:00")."""
    return human_datetime(value, weekday=arg == "weekday")


@register.filter
def day(value: dt.date | dt.datetime | None, arg: str = "") -> str:
    """A day: "7 Dec"; the year when not this year; `day:"weekday"` adds the day's name."""
    return human_date(value, weekday=arg == "weekday")


@register.filter
def clock_time(value: dt.datetime | dt.time | None) -> str:
    """The time of day, 24-hour, in the active zone."""
    return human_time(value)


def _zone_of(dealer: Any) -> Any:
    name = dealer if isinstance(dealer, str) else getattr(dealer, "timezone", None)
    return zone_named(name)


@register.filter
def dealer_time(
    value: dt.datetime | None, dealer: Any, *, seconds: bool = False
) -> SafeString | str:
    """A moment on its own dealer's wall clock (a Dealer or a zone name), for pages that mix
    dealers: "7 Dec, 14:05 Europe/Warsaw" where that zone is not the reader's, "7 Dec, 14:05"
    where it is."""
    if value is None:
        return ""
    zone = _zone_of(dealer)
    text = human_datetime(value, zone=zone, seconds=seconds)
    if zone_label(zone) == zone_label(timezone.get_current_timezone()):
        return text
    return format_html(
        '{} <span class="text-body-secondary small" data-zone>{}</span>', text, zone_label(zone)
    )
