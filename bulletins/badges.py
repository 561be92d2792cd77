"""The menu badge of the dealer staff's "Bulletins" entry (dms.navigation.register_badge): how
many live bulletins the user has not read or not acknowledged yet. At most one aggregate query,
only on pages that show the menu, and none while the counts are cached (bulletins.badge_cache)
or the page computed them already (the inbox)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dealers.selectors import request_access

from . import badge_cache
from .selectors import InboxCounts, inbox_counts


def counts_for(request: HttpRequest, dealer_id: int) -> InboxCounts:
    """The counts of this request's user at the dealer: from this request when the page had
    them already (the inbox), else from the cache, else one query (then cached)."""
    counts = getattr(request, "bulletin_counts", None)
    if isinstance(counts, InboxCounts):
        return counts
    user_id = int(request.user.pk or 0)
    generation, cached = badge_cache.read(user_id, dealer_id)
    if isinstance(cached, InboxCounts):
        return cached
    counts = inbox_counts(user=request.user)
    badge_cache.write(user_id, dealer_id, generation, counts)
    return counts


def inbox_badge(request: HttpRequest) -> str:
    access = request_access(request)
    if access.membership is None or not access.writable or access.dealer is None:
        return ""
    counts = counts_for(request, access.dealer.pk)
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
