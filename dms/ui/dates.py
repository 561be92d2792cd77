"""Dates and times as a person reads them: the language's one format (dms/formats/), in the time
zone active for the request (the dealer's, activated by the tenancy middleware from
dealers.clock), the year shown whenever the day is not in the reader's current year.

Machine formats (CSV, XLSX, API, <input type=date> values) stay ISO and do not come here."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.utils import formats, timezone
from django.utils.dateformat import format as dateformat
from django.utils.translation import get_language

# Our own names beside Django's (dms/formats/<lang>/formats.py), with English as the fallback.
_FALLBACK = {
    "WEEKDAY_DATE_FORMAT": "D j M Y",
    "WEEKDAY_MONTH_DAY_FORMAT": "D j M",
    "DATE_TIME_SEPARATOR": ", ",
}


@lru_cache(maxsize=64)
def _own_format(name: str, language: str | None) -> str:
    for module in formats.get_format_modules(language):
        if hasattr(module, name):
            return str(getattr(module, name))
    return _FALLBACK[name]


def local(value: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """An aware datetime on the wall clock of `zone` (default: the active zone)."""
    return timezone.localtime(value, zone)


def _day_of(value: dt.date | dt.datetime, zone: dt.tzinfo | None) -> dt.date:
    if isinstance(value, dt.datetime):
        return local(value, zone).date() if timezone.is_aware(value) else value.date()
    return value


def _this_year(zone: dt.tzinfo | None) -> int:
    return timezone.localtime(timezone.now(), zone).year


def human_date(
    value: dt.date | dt.datetime | None, *, weekday: bool = False, zone: dt.tzinfo | None = None
) -> str:
    """ "7 Dec" this year, "1 Jan 2099" another year ("Thu 7 Dec" / "Thu 1 Jan 2099" with the
    weekday); a datetime's day on the wall clock of `zone` (default: the active zone)."""
    if value is None:
        return ""
    day = _day_of(value, zone)
    same_year = day.year == _this_year(zone)
    if weekday:
        name = "WEEKDAY_MONTH_DAY_FORMAT" if same_year else "WEEKDAY_DATE_FORMAT"
        return dateformat(day, _own_format(name, get_language()))
    return formats.date_format(day, "MONTH_DAY_FORMAT" if same_year else "DATE_FORMAT")


def human_time(
    value: dt.datetime | dt.time | None, zone: dt.tzinfo | None = None, *, seconds: bool = False
) -> str:
    """14:05 (14:05:09 with `seconds`, for logs), on a 24-hour clock in every language."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = local(value, zone)
    if seconds:
        return value.strftime("%H:%M:%S")
    return formats.time_format(value, "TIME_FORMAT")


def human_datetime(
    value: dt.datetime | None,
    *,
    weekday: bool = False,
    zone: dt.tzinfo | None = None,
    seconds: bool = False,
) -> str:
    """ "7 Dec, 14:05" this year, "1 Jan 2099, 09:00" another year."""
    if value is None:
        return ""
    separator = _own_format("DATE_TIME_SEPARATOR", get_language())
    day = human_date(value, weekday=weekday, zone=zone)
    return f"{day}{separator}{human_time(value, zone, seconds=seconds)}"


def date_time_separator() -> str:
    """What stands between a day and its time in the active language (", " in English)."""
    return _own_format("DATE_TIME_SEPARATOR", get_language())


def zone_label(zone: Any) -> str:
    """A zone as people name it: its IANA name ("Europe/Warsaw")."""
    return str(getattr(zone, "key", zone))
