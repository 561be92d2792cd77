"""Reads of a user's in-app notifications (current dealer only)."""

from __future__ import annotations

from django.db.models import QuerySet

from dealers.selectors import Access
from leads.models import Notification

UNREAD_CAP = 99  # the badge says "99+" beyond this: no exact COUNT over the table


def notifications_of(access: Access, *, unread_only: bool) -> QuerySet[Notification]:
    if access.dealer is None or access.user_id is None:
        return Notification.objects.none()
    qs = Notification.objects.filter(dealer_id=access.dealer.pk, user_id=access.user_id)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(access: Access) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (index-only, bounded)."""
    if access.dealer is None or access.user_id is None:
        return 0
    return len(
        notifications_of(access, unread_only=True).values_list("id", flat=True)[: UNREAD_CAP + 1]
    )
