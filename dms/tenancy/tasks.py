"""Celery task base that re-enters the tenant scope from an explicit dealer_id argument."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction

from .context import as_dealer


class TenantTask(Task):
    """Tasks for one dealer take `dealer_id` as a keyword argument. The body runs inside that
    dealer's scope and one transaction, so both the ORM and RLS walls apply."""

    abstract = True
    max_retries = 3

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dealer_id = kwargs.get("dealer_id")
        if not isinstance(dealer_id, int):
            raise TypeError(f"{self.name} needs an integer dealer_id keyword argument")
        with as_dealer(dealer_id), transaction.atomic():
            return super().__call__(*args, **kwargs)
