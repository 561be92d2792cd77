"""django-tables2 tables of the lead list and the lead pool (sortable, lazily paginated: no
COUNT over the lead table). The lead list's rows are written out by its template
(leads/leads/_lead_table.html) with the funnel_tags filters: the per-cell column machinery of
django-tables2 was the slowest part of the page."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dms.html import escape as _escape
from dms.ui.tables import BoundedPaging
from leads.models import Lead
from leads.templatetags.funnel_tags import grade_badge, person, short_date_in, stage_badge


class LeadTable(BoundedPaging, tables.Table):
    customer = tables.Column(
        verbose_name=_("Customer"),
        accessor="customer__last_name",
        order_by=("customer__last_name", "customer__first_name"),
        linkify=("leads:lead_detail", [tables.A("pk")]),
        empty_values=(),
    )
    stage = tables.Column(verbose_name=_("Stage"))
    grade = tables.Column(verbose_name=_("Grade"), empty_values=())
    vehicle_model = tables.Column(
        verbose_name=_("Model"), accessor="vehicle_model__name", default="—"
    )
    source = tables.Column(verbose_name=_("Source"), accessor="source__name")
    consultant = tables.Column(
        verbose_name=_("Consultant"),
        accessor="consultant__last_name",
        order_by=("consultant__last_name", "consultant__first_name"),
        empty_values=(),
    )
    last_activity_at = tables.Column(verbose_name=_("Last activity"), empty_values=())
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="Y-m-d")

    class Meta:
        model = Lead
        fields = [
            "customer",
            "stage",
            "grade",
            "vehicle_model",
            "source",
            "consultant",
            "last_activity_at",
            "created_at",
        ]
        template_name = "leads/leads/_lead_table.html"
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "lead-table"}
        empty_text = _("No leads found.")
        order_by = ("-last_activity_at",)

    def __init__(self, *args: Any, show_consultant: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, exclude=() if show_consultant else ("consultant",), **kwargs)
        self.show_consultant = show_consultant

    def rows_html(self) -> SafeString:
        """The <tr>s of the current page: the lead list's template puts them in its <tbody>.
        Cell for cell what the render_* methods below give, at a fraction of the cost of
        django-tables2's per-cell rendering (column lookups, linkify, attrs and a template node
        per cell): that was most of the page's time. Each row is one f-string with every value
        through `_escape` (conditional_escape without its lazy-string wrapper: format_html's
        per-argument escaping was still a third of the page), and the badges are built once per
        distinct value (a page has few stages, grades and consultants)."""
        if self.page is None:
            return mark_safe("")  # noqa: S308 - empty
        detail = reverse("leads:lead_detail", args=[0])[: -len("0/")]  # "/sales/leads/"
        none_yet = format_html('<span class="text-body-secondary">{}</span>', _("none yet"))
        stages: dict[tuple[str, bool], str] = {}
        grades: dict[str, str] = {}
        people: dict[int | None, str] = {}
        # Once, not per cell (context-local lookups); dates in the locale's short format, cached
        # per day and language (a page shows few distinct days).
        tz, language = timezone.get_current_timezone(), get_language()
        rows = []
        for row in self.page.object_list:
            lead = row.record
            stage_key = (lead.stage, bool(lead.lost_requested_at and lead.is_open))
            stage = stages.get(stage_key)
            if stage is None:
                stage = stages[stage_key] = _escape(stage_badge(lead))
            grade = grades.get(lead.grade)
            if grade is None:
                grade = grades[lead.grade] = _escape(grade_badge(lead.grade))
            consultant = ""
            if self.show_consultant:
                if lead.consultant_id not in people:
                    people[lead.consultant_id] = f"<td>{_escape(person(lead.consultant))}</td>"
                consultant = people[lead.consultant_id]
            model = lead.vehicle_model.name if lead.vehicle_model_id else "—"
            source = lead.source.display_name if lead.source_id else "—"
            if lead.last_activity_at:
                at = lead.last_activity_at.astimezone(tz)
                last = f"{short_date_in(at.date(), language)} {at:%H:%M}"
            else:
                last = none_yet
            pk = _escape(lead.pk)
            rows.append(
                f'<tr data-lead="{pk}"><td><a href="{_escape(detail)}{pk}/">'
                f"{_escape(lead.customer.display_name)}</a></td><td>{stage}</td>"
                f"<td>{grade}</td><td>{_escape(model)}</td><td>{_escape(source)}</td>"
                f'{consultant}<td class="text-nowrap">{_escape(last)}</td>'
                f'<td class="text-nowrap">'
                f"{_escape(short_date_in(lead.created_at.astimezone(tz).date(), language))}</td></tr>"
            )
        return mark_safe("\n".join(rows))  # noqa: S308 - every value went through _escape

    def render_customer(self, record: Lead) -> str:
        return str(record.customer.display_name)

    def render_stage(self, record: Lead) -> str:
        return stage_badge(record)

    def render_grade(self, record: Lead) -> str:
        return grade_badge(record.grade)

    def render_source(self, record: Lead) -> str:
        return record.source.display_name

    def render_consultant(self, record: Lead) -> str:
        return person(record.consultant)

    def render_last_activity_at(self, record: Lead) -> str:
        if record.last_activity_at is None:
            return format_html('<span class="text-body-secondary">{}</span>', _("none yet"))
        return timezone.localtime(record.last_activity_at).strftime("%Y-%m-%d %H:%M")

    def order_last_activity_at(self, queryset: Any, is_descending: bool) -> tuple[Any, bool]:
        from django.db.models import F

        field = F("last_activity_at")
        ordering = field.desc(nulls_last=True) if is_descending else field.asc(nulls_first=True)
        return queryset.order_by(ordering, "-id" if is_descending else "id"), True


class PoolTable(BoundedPaging, tables.Table):
    customer = tables.Column(
        verbose_name=_("Customer"),
        accessor="customer__last_name",
        linkify=("leads:lead_detail", [tables.A("pk")]),
        orderable=False,
        empty_values=(),
    )
    stage = tables.Column(verbose_name=_("Stage"), orderable=False)
    grade = tables.Column(verbose_name=_("Grade"), orderable=False, empty_values=())
    vehicle_model = tables.Column(
        verbose_name=_("Model"), accessor="vehicle_model__name", default="—", orderable=False
    )
    source = tables.Column(verbose_name=_("Source"), accessor="source__name", orderable=False)
    consultant = tables.Column(verbose_name=_("Last consultant"), orderable=False, empty_values=())
    pooled_at = tables.DateTimeColumn(
        verbose_name=_("In the pool since"), format="Y-m-d", orderable=False
    )

    class Meta:
        model = Lead
        fields = [
            "customer",
            "stage",
            "grade",
            "vehicle_model",
            "source",
            "consultant",
            "pooled_at",
        ]
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "pool-table"}
        empty_text = _("The lead pool is empty.")

    def render_customer(self, record: Lead) -> str:
        return str(record.customer.display_name)

    def render_stage(self, record: Lead) -> str:
        return stage_badge(record)

    def render_grade(self, record: Lead) -> str:
        return grade_badge(record.grade)

    def render_source(self, record: Lead) -> str:
        return record.source.display_name

    def render_consultant(self, record: Lead) -> str:
        return person(record.consultant)
