"""The customer timeline: every service that does work with a customer writes one line here.

A line is read by everyone who opens the card, each in their own language, long after whoever
wrote it. So a line can be written as `Said` (leads.timeline_lines): its English message and its
parameters are stored (TimelineEvent.message / params) and put together in the reader's language
when shown (TimelineEvent.text). Parameters that are words of the application (a stage, a
follow-up kind, an HQ default text) are stored as what they are, not as the writer's translation.
`summary` keeps the line as written, for lines stored before and for searching.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from leads.models import Customer, Lead, TimelineEvent
from leads.timeline_lines import Choice, Hq, Join, Msg, Said, When, said

__all__ = ["Choice", "Hq", "Join", "Msg", "Said", "When", "add_timeline_event", "said"]


def add_timeline_event(
    *,
    customer: Customer,
    kind: str,
    summary: str | Said,
    lead: Lead | None = None,
    actor: Any = None,
    ref: models.Model | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    message, params = "", {}
    if isinstance(summary, Said):
        message, params = summary.message, summary.row_params()
    return TimelineEvent.objects.create(
        dealer_id=customer.dealer_id,
        customer=customer,
        lead=lead,
        kind=kind,
        summary=str(summary)[:300],
        message=message,
        params=params,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ref_type=ref._meta.label if ref is not None else "",
        ref_id=ref.pk if ref is not None else None,
        at=at or timezone.now(),
    )
