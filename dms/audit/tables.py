from __future__ import annotations

import json

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import BaseTable

from .models import AuditEntry


class AuditEntryTable(BaseTable):
    at = tables.DateTimeColumn(
        verbose_name=_("Time (UTC)"), format="Y-m-d H:i:s", attrs={"td": {"class": "text-nowrap"}}
    )
    actor_label = tables.Column(verbose_name=_("Actor"))
    dealer = tables.Column(verbose_name=_("Dealer"), accessor="dealer__code")
    action = tables.Column(verbose_name=_("Action"))
    target = tables.Column(
        verbose_name=_("Object"), empty_values=(), orderable=False, accessor="object_type"
    )
    count = tables.Column(verbose_name=_("Count"), attrs={"td": {"class": "text-end"}})
    ip = tables.Column(verbose_name=_("IP address"))
    detail = tables.Column(verbose_name=_("Detail"), orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEntry
        fields = ["at", "actor_label", "dealer", "action", "target", "count", "ip", "detail"]
        order_by = ("-at",)

    def __init__(self, *args: object, show_dealer: bool = True, **kwargs: object) -> None:
        super().__init__(*args, exclude=() if show_dealer else ("dealer",), **kwargs)  # type: ignore[arg-type]

    def render_target(self, record: AuditEntry) -> str:
        if not record.object_type:
            return "—"
        if not record.object_id:
            return record.object_type
        return format_html(
            '{} <span class="text-body-secondary">#{}</span>', record.object_type, record.object_id
        )

    def render_detail(self, record: AuditEntry) -> str:
        text = json.dumps(record.detail, ensure_ascii=False, sort_keys=True)
        if len(text) > 120:
            text = text[:117] + "…"
        return format_html('<code class="audit-detail">{}</code>', text)

    def order_at(self, queryset: object, is_descending: bool) -> tuple[object, bool]:
        # Time ties broken by id, so the order is stable across pages.
        direction = "-" if is_descending else ""
        return queryset.order_by(f"{direction}at", f"{direction}id"), True  # type: ignore[attr-defined]
