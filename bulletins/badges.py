"""The menu badge of the dealer staff's "Bulletins" entry (dms.navigation.register_badge): how
many live bulletins the user has not read or not acknowledged yet. One aggregate query (an
index-only scan of bulletin_recipient_inbox), only on pages that show the menu."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dealers.selectors import request_access

from .selectors import inbox_counts


def inbox_badge(request: HttpRequest) -> str:
    access = request_access(request)
    if access.membership is None or not access.writable:
        return ""
    counts = inbox_counts(user=request.user)
    pending = counts.pending
    if not pending:
        return ""
    css = "text-bg-danger" if counts.overdue else "text-bg-primary"
    title = _("%(unread)d unread, %(ack)d to acknowledge") % {
        "unread": counts.unread,
        "ack": counts.unacknowledged,
    }
    return format_html(
        '<span class="badge rounded-pill {}" title="{}" data-testid="nav-bulletins-badge">{}'
        '<span class="visually-hidden"> {}</span></span>',
        css,
        title,
        pending,
        title,
    )
