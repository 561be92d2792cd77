from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import IdempotentRequest

KEEP = dt.timedelta(days=1)  # a retry comes within seconds or minutes; a day is generous


def forget_old_answers(*, now: dt.datetime | None = None) -> int:
    """Delete stored answers older than KEEP (set-based); returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
