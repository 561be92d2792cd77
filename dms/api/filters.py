"""Filter building blocks of the API, shared by every app's API filtersets.

- `IsoDateTimeFilter`: an ISO 8601 date-time in any offset, compared in UTC. PostgreSQL refuses
  offsets beyond ±15:59 ("time zone displacement out of range") and Python cannot shift a
  date-time past year 1 or 9999: both are a 400 with a clear message here, never a 500.
- `NulFreeFilterBackend`: the project's filter backend; refuses NUL characters in any query
  parameter (PostgreSQL cannot store or compare text containing them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

NUL = "\x00"
NUL_MESSAGE = _("Text may not contain NUL characters (\\x00).")


class UtcIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {
        "out_of_range": _("Enter a date and time between the years 1 and 9999 (in UTC)."),
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        result: dt.datetime | None = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter, compared in UTC (see the module docstring)."""

    field_class = UtcIsoDateTimeField


def refuse_nul(params: Any, *, where: str) -> None:
    """400 naming the first parameter whose name or value holds a NUL character."""
    for key, values in params.lists():
        if NUL in key or any(NUL in str(value) for value in values):
            raise ValidationError({where if NUL in key else key: [NUL_MESSAGE]})


class NulFreeFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that first refuses NUL characters in the query string."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        refuse_nul(request.query_params, where="query")
        return super().filter_queryset(request, queryset, view)


# A day a list may be filtered on: wide enough for any real record, narrow enough that the
# dealer-zone day bounds (and a day before or after) never leave Python's calendar.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


def parse_day(raw: str, *, field: str) -> dt.date:
    """A YYYY-MM-DD query parameter between EARLIEST_DAY and LATEST_DAY, else a 400."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError({field: [_("Use the format YYYY-MM-DD.")]}) from exc
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(
            {
                field: [
                    _("Choose a day between %(first)s and %(last)s.")
                    % {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
                ]
            }
        )
    return day
