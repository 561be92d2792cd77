"""Reads of the audit log. AuditEntry is not an RLS table (HQ actions have no dealer), so the
scope is applied here, explicitly: HQ admins see everything, a dealer admin only entries of the
dealer they work in, everyone else nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from guardian.conf import settings as guardian_settings

from dealers.roles import Cap
from dealers.selectors import Access
from dms.accounts.models import HqRole

from .models import AuditEntry


def can_view_audit(access: Access) -> bool:
    if not access.can(Cap.AUDIT_VIEW):
        return False
    if access.is_hq:
        return access.role == HqRole.ADMIN
    return access.dealer is not None


def sees_whole_network(access: Access) -> bool:
    return can_view_audit(access) and access.role == HqRole.ADMIN


def audit_entries_for(access: Access) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("dealer").order_by("-at", "-id")
    if not can_view_audit(access):
        return qs.none()
    if sees_whole_network(access):
        return qs
    return qs.filter(dealer=access.dealer)


def audit_actors_for(access: Access) -> QuerySet[Any]:
    """Users the actor filter offers: everyone for HQ, those who appear in the dealer's log
    for a dealer admin (never another dealer's staff)."""
    users = (
        get_user_model()
        .objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
        .order_by("username")
    )
    if sees_whole_network(access):
        return users
    if not can_view_audit(access):
        return users.none()
    return users.filter(pk__in=audit_entries_for(access).values("actor_id"))
