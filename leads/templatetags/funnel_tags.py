"""Template filters of the funnel pages."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dms.html import escape as _escape
from dms.ui.dates import date_time_separator, human_date
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
def local_dt(value: Any, fmt: str = "%H:%M") -> str:
    """A datetime in the current time zone with a fixed strftime format: for long lists, where
    the `date` filter's locale-aware formatting costs too much per cell."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)


def short_date_in(day: dt.date, language: str | None) -> str:
    """A day as dms.ui.dates writes it ("7 Dec"; the year outside the reader's current year),
    formatted once per day, language and year (rows of a list share few dates)."""
    return _short_date(day, language, timezone.localdate().year)


@lru_cache(maxsize=1024)
def _short_date(day: dt.date, language: str | None, this_year: int) -> str:
    return human_date(day)


@register.filter
def short_date(value: Any) -> str:
    """The local date of a datetime in the locale's short format, formatted once per day and
    language (rows of a list share few dates)."""
    if value is None:
        return ""
    return short_date_in(timezone.localtime(value).date(), get_language())


@register.filter
def short_datetime(value: Any) -> str:
    """Local short date (the locale's format, cached per day) and 24-hour time: the lists'
    timestamps without the `date` filter's per-cell cost."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{short_date_in(local.date(), get_language())}{date_time_separator()}{local:%H:%M}"


@register.simple_tag
def follow_up_rows(section: Any, can_write: bool) -> SafeString:
    """The <li>s of a My day follow-up section, markup and whitespace exactly as the template
    loop they replace wrote them (leads/myday/_follow_up_rows.html): one f-string per row with
    every value escaped once, instead of ~40 template nodes per row (that loop was most of the
    page's CPU time)."""
    detail = _escape(reverse("leads:lead_detail", args=[0])[: -len("0/")])
    actions = can_write and not section.compact
    done_label = _escape(_("Done"))
    move_label = _escape(_("Move"))
    kinds: dict[str, str] = {}
    parts = []
    separator = _escape(date_time_separator())
    for f in section.rows:
        pk = _escape(f.pk)  # {% localize off %}: plain digits
        customer = f.customer
        name = _escape(customer.display_name)
        due = f.due_at
        when = f"{_escape(short_date(due))}{separator}" if f.other_day else ""
        kind = kinds.get(f.kind)
        if kind is None:
            kind = kinds[f.kind] = _escape(follow_up_kind(f.kind))
        lead = f.lead
        grade = (
            f'<span class="badge grade-{_escape(lead.grade)}">{_escape(lead.grade)}</span>'
            if lead.grade
            else ""
        )
        model = (
            f'<span class="small text-body-secondary">{_escape(lead.vehicle_model.name)}</span>'
            if lead.vehicle_model_id
            else ""
        )
        tel = (
            f'<a class="small ms-auto text-nowrap" href="tel:{_escape(customer.phone)}">'
            '<i class="bi bi-telephone" aria-hidden="true"></i> '
            f"{_escape(phone(customer.phone))}</a>"
            if customer.phone
            else ""
        )
        note = f'<div class="small text-body-secondary">{_escape(f.note)}</div>' if f.note else ""
        buttons = (
            '\n      <div class="follow-up-actions d-flex flex-wrap gap-2 mt-2">\n'
            '        <button type="button" class="btn btn-sm btn-success" data-bs-toggle="modal" '
            f'data-bs-target="#follow-up-done" data-follow-up="{pk}" data-customer="{name}" '
            f'data-testid="done-{pk}"><i class="bi bi-check2" aria-hidden="true"></i> '
            f"{done_label}</button>\n"
            '        <button type="button" class="btn btn-sm btn-outline-secondary" '
            'data-bs-toggle="modal" data-bs-target="#follow-up-move" '
            f'data-follow-up="{pk}" data-customer="{name}" data-testid="move-{pk}">'
            '<i class="bi bi-calendar-event" aria-hidden="true"></i> '
            f"{move_label}</button>\n"
            "      </div>\n    "
            if actions
            else ""
        )
        parts.append(
            f'\n  <li class="list-group-item my-day-item" data-follow-up="{pk}">\n'
            '    <div class="d-flex flex-wrap gap-2 align-items-center">\n'
            f'      <span class="fw-semibold text-nowrap">{when}{_escape(local_dt(due, "%H:%M"))}'
            "</span>\n"
            f'      <a class="fw-semibold" href="{detail}{_escape(f.lead_id)}/">{name}</a>\n'
            f'      <span class="badge text-bg-light border">{kind}</span>\n'
            f"      {grade}\n"
            f"      {model}\n"
            f"      {tel}\n"
            "    </div>\n"
            f"    {note}\n"
            f"    {buttons}\n"
            "  </li>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value went through _escape


@register.simple_tag(takes_context=True)
def pool_rows(context: Any, leads: Any, can_write: bool) -> SafeString:
    """The <li>s of My day's "Lead pool: to claim" card, as the template loop they replace
    wrote them (one reverse() per page instead of two per row, one escape per value)."""
    detail = reverse("leads:lead_detail", args=[0])[: -len("0/")]
    claim = reverse("leads:lead_action", args=[0, "claim"])[len(detail) + 1 :]  # "/claim/"
    detail, claim = _escape(detail), _escape(claim)
    take_head = take_tail = ""  # the claim form around the row's pk
    if can_write:
        token = context.get("csrf_token")
        csrf = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_escape(token)}">'
            if token and token != "NOTPROVIDED"  # noqa: S105 - the csrf tag's "no token" marker
            else ""
        )
        take_head = f'\n                <form method="post" action="{detail}'
        take = _escape(_("Take"))  # outside the f-string: makemessages cannot see into one
        take_tail = (
            f'{claim}">{csrf}'
            f'<input type="hidden" name="next" value="{_escape(context["request"].path)}">'
            f'<button class="btn btn-sm btn-outline-primary" type="submit">{take}'
            "</button></form>\n              "
        )
    parts = []
    for lead in leads:
        pk = _escape(lead.pk)
        model = lead.vehicle_model.name if lead.vehicle_model_id else ""
        parts.append(
            '\n            <li class="list-group-item d-flex flex-wrap gap-2 align-items-center">\n'
            f'              <a class="me-auto" href="{detail}{pk}/">'
            f"{_escape(lead.customer.display_name)}</a>\n"
            f'              <span class="small text-body-secondary">{_escape(model or "")} · '
            f"{_escape(stage_label(lead.stage))}</span>\n"
            f"              {take_head}{pk if can_write else ''}{take_tail}\n"
            "            </li>\n          "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value went through _escape
