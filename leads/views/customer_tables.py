"""django-tables2 table of the customer list (sortable, paginated)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import BoundedPaging
from leads.models import Customer
from leads.services.normalize import format_phone


class CustomerTable(BoundedPaging, tables.Table):
    name = tables.Column(
        verbose_name=_("Name"),
        accessor="last_name",
        order_by=("last_name", "first_name", "company_name"),
        linkify=("leads:customer-detail", [tables.A("pk")]),
    )
    phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    email = tables.Column(verbose_name=_("E-mail"))
    city = tables.Column(verbose_name=_("City"))
    owner = tables.Column(
        verbose_name=_("Consultant"),
        accessor="owner__last_name",
        order_by=("owner__last_name", "owner__first_name"),
    )
    updated_at = tables.DateTimeColumn(verbose_name=_("Last change"), format="Y-m-d H:i")

    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "city", "owner", "updated_at"]
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {
            "class": "table table-sm table-hover align-middle",
            "data-testid": "customer-table",
        }
        empty_text = _("No customers found.")
        order_by = ("-updated_at",)

    def __init__(self, *args: Any, show_owner: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, exclude=() if show_owner else ("owner",), **kwargs)

    def render_name(self, record: Customer) -> str:
        if record.kind == Customer.Kind.COMPANY:
            return format_html(
                '<i class="bi bi-building me-1" aria-hidden="true"></i>{}', record.display_name
            )
        return record.display_name

    def render_phone(self, record: Customer) -> str:
        return format_phone(record.phone) or "—"

    def render_owner(self, record: Customer) -> str:
        user = record.owner
        if user is None:
            return "—"
        return user.get_full_name() or user.get_username()
