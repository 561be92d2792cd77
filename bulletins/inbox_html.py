"""The inbox's rows, rendered in Python: on a page of 25 bulletins the template engine's
per-row cost (the include of the category badges, a `{% url %}` and three translated sentences
per row, the date filters) was a quarter of the page's server time (bench/bulletins.py); this
builds the same markup (templates/bulletins/inbox.html, `_badges.html`) in a fraction of it.

Every value from the database is escaped; every sentence is the template's own msgid, so the
catalogues translate it as before (as `{% blocktranslate %}` does, the values put into a
sentence are escaped, the translated sentence itself is not)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dms.ui.dates import human_datetime

from .models import Bulletin

CATEGORY_CLASS: dict[str, str] = {
    Bulletin.Category.RECALL: "text-bg-danger",
    Bulletin.Category.TECHNICAL: "text-bg-info",
    Bulletin.Category.PROCESS: "text-bg-secondary",
}


def _badges(b: Bulletin) -> str:
    """As templates/bulletins/_badges.html: the category, and the priority unless normal."""
    css = CATEGORY_CLASS.get(b.category, "text-bg-primary")
    out = (
        f'<span class="badge rounded-pill {css}" data-testid="bulletin-category">'
        f"{escape(b.get_category_display())}</span>"
    )
    if b.priority != Bulletin.Priority.NORMAL:
        level = "text-bg-danger" if b.priority == Bulletin.Priority.URGENT else "text-bg-warning"
        out += (
            f' <span class="badge {level}" data-testid="bulletin-priority"><i class="bi '
            f'bi-exclamation-triangle" aria-hidden="true"></i> {escape(b.get_priority_display())}'
            "</span>"
        )
    return out


def _when(value: Any) -> str:
    return str(escape(human_datetime(value)))


def inbox_rows_html(rows: Iterable[Any]) -> SafeString:
    """The <a> rows of the inbox list (selectors.inbox rows: the recipient row with its
    bulletin and `is_unread` / `needs_ack` / `is_overdue`)."""
    prefix = reverse("bulletins:detail", args=[0])[: -len("0/")]
    unread_label = escape(_("Unread"))
    overdue_label = escape(_("Overdue"))
    ack_label = escape(_("To acknowledge"))
    acked_label = escape(_("Acknowledged"))
    out: list[str] = []
    for r in rows:
        b = r.bulletin
        pk = int(b.pk)
        unread = " bulletin-row-unread" if r.is_unread else ""
        dot = (
            '<i class="bi bi-circle-fill text-primary small"></i>'
            if r.is_unread
            else '<i class="bi bi-circle text-body-tertiary small"></i>'
        )
        title = [f'<span class="bulletin-title">{escape(b.title)}</span>', _badges(b)]
        if r.is_unread:
            title.append(
                f'<span class="badge text-bg-primary" data-testid="marker-unread">{unread_label}'
                "</span>"
            )
        if b.version > 1:
            revised = _("Revised · v%(n)s") % {"n": int(b.version)}
            title.append(f'<span class="badge text-bg-light border">{revised}</span>')
        published = _("Published %(when)s") % {"when": _when(b.published_at)}
        if r.is_overdue:
            due = _("was due %(when)s") % {"when": _when(b.ack_deadline)}
            state = (
                '<span class="badge text-bg-danger" data-testid="marker-overdue"><i class="bi '
                f'bi-alarm" aria-hidden="true"></i> {overdue_label}</span>'
                f'<span class="d-block text-danger mt-1">{due}</span>'
            )
        elif r.needs_ack:
            by = _("by %(when)s") % {"when": _when(b.ack_deadline)}
            state = (
                '<span class="badge text-bg-warning" data-testid="marker-ack"><i class="bi '
                f'bi-check2-square" aria-hidden="true"></i> {ack_label}</span>'
                f'<span class="d-block text-body-secondary mt-1">{by}</span>'
            )
        elif b.requires_ack:
            state = (
                '<span class="badge text-bg-success" data-testid="marker-acked"><i class="bi '
                f'bi-check2" aria-hidden="true"></i> {acked_label}</span>'
            )
        else:
            state = ""
        out.append(
            f'<a href="{prefix}{pk}/" class="list-group-item list-group-item-action d-flex gap-3 '
            f'align-items-start py-3{unread}" data-testid="inbox-row" data-bulletin="{pk}">'
            f'<span class="pt-1" aria-hidden="true">{dot}</span>'
            '<span class="flex-grow-1"><span class="d-flex flex-wrap gap-2 align-items-center '
            f'mb-1">{" ".join(title)}</span>'
            f'<span class="small text-body-secondary d-block">{published}</span></span>'
            f'<span class="text-end small text-nowrap">{state}</span></a>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 (every value escaped above)
