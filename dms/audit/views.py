"""The audit log screen (/audit/) and its export (CSV, streamed, or XLSX). HQ admins see the
whole network, dealer admins only their own dealer; the export is itself written to the log,
with the row count and the format."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from dealers.selectors import Access
from dealers.views import AccessRequiredMixin
from dms import tabular

from .filters import AuditEntryFilterSet
from .models import AuditAction, AuditEntry
from .selectors import audit_entries_for, can_view_audit, sees_whole_network
from .services import record
from .tables import AuditEntryTable

CSV_HEADER = [
    "time_utc",
    "actor",
    "dealer",
    "action",
    "object_type",
    "object_id",
    "count",
    "ip",
    "detail",
]


class AuditAccessMixin(AccessRequiredMixin):
    def has_access(self, access: Access) -> bool:
        return can_view_audit(access)


class AuditLogView(AuditAccessMixin, SingleTableMixin, FilterView):
    table_class = AuditEntryTable
    filterset_class = AuditEntryFilterSet
    template_name = "audit/entry_list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return audit_entries_for(self.access)

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"show_dealer": sees_whole_network(self.access)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["whole_network"] = sees_whole_network(self.access)
        context["query"] = self.request.GET.urlencode()
        return context


def export_rows(entries: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    """The rows of the audit export (CSV_HEADER's columns), read in chunks."""
    return (
        [
            entry.at.astimezone(datetime.UTC).isoformat(),
            entry.actor_label,
            entry.dealer.code if entry.dealer else "",
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.count,
            entry.ip,
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
        ]
        for entry in entries.iterator(chunk_size=2000)
    )


def csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """The audit export, streamed through the one CSV writer (dms.tabular: formula-safe)."""
    return tabular.csv_lines(CSV_HEADER, export_rows(entries))


class AuditExportView(AuditAccessMixin, View):
    file_format = "csv"  # or "xlsx" (routes "export.csv" and "export.xlsx")

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        filterset = AuditEntryFilterSet(
            data=request.GET or None, queryset=audit_entries_for(self.access), request=request
        )
        if filterset.is_bound and not filterset.is_valid():
            messages.error(request, _("The filter is not valid; nothing was exported."))
            return redirect(f"{reverse('audit:log')}?{request.GET.urlencode()}")
        entries = filterset.qs
        # A fixed snapshot: the rows counted are the rows streamed (the export's own entry,
        # written below, is not among them).
        last_id = entries.aggregate(last=Max("id"))["last"] or 0
        entries = entries.filter(id__lte=last_id)
        count = entries.count()
        cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
        filters = {key: str(value) for key, value in cleaned.items() if value}
        record(
            action=AuditAction.EXPORT,
            actor=request.user,
            dealer=None if sees_whole_network(self.access) else self.access.dealer,
            object_type=AuditEntry._meta.label,
            count=count,
            request=request,
            detail={"format": self.file_format, "filters": filters},
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        if self.file_format == "xlsx":
            content = tabular.xlsx_bytes(CSV_HEADER, export_rows(entries), title="Audit")
            return tabular.attachment(content, "xlsx", f"audit-{stamp}")
        response = StreamingHttpResponse(csv_rows(entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
