"""django-tables2 tables of the lead list and the lead pool (sortable, lazily paginated: no
COUNT over the lead table)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from leads.models import Lead

GRADE_CLASSES = {
    "H": "text-bg-danger",
    "A": "text-bg-warning",
    "B": "text-bg-info",
    "C": "text-bg-secondary",
    "O": "text-bg-success",
}
STAGE_CLASSES = {
    "lost": "text-bg-dark",
    "dormant": "text-bg-secondary",
    "delivered": "text-bg-success",
}


def grade_badge(grade: str) -> str:
    if not grade:
        return mark_safe('<span class="text-body-secondary">—</span>')  # noqa: S308 - constant
    return format_html(
        '<span class="badge {} grade-badge" data-grade="{}">{}</span>',
        GRADE_CLASSES.get(grade, "text-bg-light"),
        grade,
        grade,
    )


def stage_badge(lead: Lead) -> str:
    css = STAGE_CLASSES.get(lead.stage, "text-bg-primary")
    extra = ""
    if lead.lost_requested_at and lead.is_open:
        extra = format_html(' <span class="badge text-bg-warning">{}</span>', _("lost?"))
    return format_html('<span class="badge {}">{}</span>{}', css, lead.get_stage_display(), extra)


def person(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


class LeadTable(tables.Table):
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
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "lead-table"}
        empty_text = _("No leads found.")
        order_by = ("-last_activity_at",)

    def __init__(self, *args: Any, show_consultant: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, exclude=() if show_consultant else ("consultant",), **kwargs)

    def render_customer(self, record: Lead) -> str:
        return str(record.customer.display_name)

    def render_stage(self, record: Lead) -> str:
        return stage_badge(record)

    def render_grade(self, record: Lead) -> str:
        return grade_badge(record.grade)

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


class PoolTable(tables.Table):
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

    def render_consultant(self, record: Lead) -> str:
        return person(record.consultant)
