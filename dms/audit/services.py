"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from dms.security.ip import client_ip

from .models import AuditAction, AuditEntry

__all__ = [
    "client_ip",
    "record",
    "record_reference_change",
]  # client_ip: the one helper, re-exported for callers here


def record(
    *,
    action: str,
    actor: Any = None,
    dealer: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    count: int = 1,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    dealer_id = getattr(dealer, "pk", dealer)
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else ""),
        dealer_id=dealer_id,
        object_type=object_type,
        object_id=str(object_id),
        count=count,
        ip=client_ip(request),
        detail=detail or {},
    )


def record_reference_change(
    *,
    obj: models.Model,
    actor: Any,
    change: str,
    request: HttpRequest | None = None,
    count: int = 1,
    **detail: Any,
) -> AuditEntry:
    """An HQ change to reference data (a campaign, a promotion, a price list, a bulletin…): what
    changed, on which object, by whom; `count`: how many rows it touched."""

    return record(
        action=AuditAction.REFERENCE_CHANGE,
        actor=actor,
        obj=obj,
        count=count,
        request=request,
        detail={"change": change, **detail},
    )
