"""The customer timeline: every service that does work with a customer writes one line here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from leads.models import Customer, Lead, TimelineEvent


def add_timeline_event(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    lead: Lead | None = None,
    actor: Any = None,
    ref: models.Model | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        dealer_id=customer.dealer_id,
        customer=customer,
        lead=lead,
        kind=kind,
        summary=summary[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ref_type=ref._meta.label if ref is not None else "",
        ref_id=ref.pk if ref is not None else None,
        at=at or timezone.now(),
    )
