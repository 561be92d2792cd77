"""Reads of import jobs (HQ network admins see every job: HQ bookkeeping, no dealer data)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import ImportJob

LIST_FIELDS = ("errors", "changes", "timings", "result")


def job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by", "applied_by").defer(*LIST_FIELDS)


def job(pk: int, *, full: bool = True) -> ImportJob:
    rows = ImportJob.objects.select_related("created_by", "applied_by")
    if not full:
        rows = rows.defer(*LIST_FIELDS)
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
