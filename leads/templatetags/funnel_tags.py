"""Template filters of the funnel pages."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from leads.models import FollowUp, Stage
from leads.services.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number in international notation for reading ("+49 151 23456789")."""
    return _formatted_phone(value or "")


@lru_cache(maxsize=8192)
def _formatted_phone(value: str) -> str:
    # Parsing with phonenumbers costs more than the rest of a list row: the same customers come
    # back on every load of a consultant's day.
    return format_phone(value) or value


@register.filter
def percent_of(value: int, total: int) -> int:
    """Whole percent of `value` in `total` (0 when total is 0), for <progress> bars."""
    return round(100 * value / total) if total else 0


@cache
def _stage_labels(language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in Stage.choices}


def stage_label(code: str) -> str:
    """The translated name of a lead stage, looked up once per language (get_stage_display
    rebuilds the choices dict and re-translates on every call: too slow for long lists)."""
    return _stage_labels(get_language()).get(code, code)


register.filter("stage_label", stage_label)


@cache
def _kind_labels(language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in FollowUp.Kind.choices}


@register.filter
def follow_up_kind(code: str) -> str:
    """The translated kind of a follow-up (get_kind_display without its per-call cost)."""
    return _kind_labels(get_language()).get(code, code)


GRADE_CLASSES = {
    "H": "text-bg-danger",
    "A": "text-bg-warning",
    "B": "text-bg-info",
    "C": "text-bg-secondary",
    "O": "text-bg-success",
}
STAGE_CLASSES = {
    "lost": "text-bg-dark",
    "dormant": "text-bg-secondary",
    "delivered": "text-bg-success",
}


@register.filter
def grade_badge(grade: str) -> SafeString:
    if not grade:
        return mark_safe('<span class="text-body-secondary">—</span>')  # noqa: S308 - constant
    return format_html(
        '<span class="badge {} grade-badge" data-grade="{}">{}</span>',
        GRADE_CLASSES.get(grade, "text-bg-light"),
        grade,
        grade,
    )


@register.filter
def stage_badge(lead: Any) -> SafeString:
    """The stage of a lead as a badge, with "lost?" while a lost request waits for approval."""
    css = STAGE_CLASSES.get(lead.stage, "text-bg-primary")
    extra = ""
    if lead.lost_requested_at and lead.is_open:
        extra = format_html(' <span class="badge text-bg-warning">{}</span>', _("lost?"))
    return format_html('<span class="badge {}">{}</span>{}', css, stage_label(lead.stage), extra)


@register.filter
def person(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def local_dt(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A datetime in the current time zone with a fixed strftime format: for long lists, where
    the `date` filter's locale-aware formatting costs too much per cell."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)


@lru_cache(maxsize=1024)
def _short_date(day: dt.date, language: str | None) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


@register.filter
def short_date(value: Any) -> str:
    """The local date of a datetime in the locale's short format, formatted once per day and
    language (rows of a list share few dates)."""
    if value is None:
        return ""
    return _short_date(timezone.localtime(value).date(), get_language())


@register.filter
def short_datetime(value: Any) -> str:
    """Local short date (the locale's format, cached per day) and 24-hour time: the lists'
    timestamps without the `date` filter's per-cell cost."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{_short_date(local.date(), get_language())} {local:%H:%M}"
