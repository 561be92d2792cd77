"""Tables of the catalogue pages (django-tables2, sortable, paginated)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import NOWRAP, BaseTable

from ..models import Colour, LabourGrade, LabourOperation, Option, Part, PartGroup, VehicleModel


def _active(value: bool) -> str:
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', _("active"))
    return format_html('<span class="badge text-bg-secondary">{}</span>', _("inactive"))


class PartTable(BaseTable):
    number = tables.Column(
        verbose_name=_("Part number"),
        linkify=("inventory:catalogue-part", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "text-nowrap font-monospace"}},
    )
    description = tables.Column(verbose_name=_("Description"))
    group = tables.Column(verbose_name=_("Group"), order_by=("group__code",))
    unit = tables.Column(verbose_name=_("Unit"))
    weight_kg = tables.Column(verbose_name=_("Weight (kg)"), attrs=NOWRAP)
    replaced = tables.Column(
        verbose_name=_("Replaced by"), accessor="pk", orderable=False, empty_values=()
    )
    is_active = tables.Column(verbose_name=_("Status"))

    class Meta(BaseTable.Meta):
        model = Part
        fields = ["number", "description", "group", "unit", "weight_kg", "replaced", "is_active"]
        attrs = {**BaseTable.Meta.attrs, "data-testid": "part-table"}

    def render_group(self, value: PartGroup) -> str:
        return value.code

    def render_replaced(self, record: Part) -> str:
        row = getattr(record, "supersession", None)
        if row is None:
            return "—"
        return format_html(
            '<a class="font-monospace" href="{}">{}</a>',
            reverse("inventory:catalogue-part", args=[row.replaced_by_id]),
            row.replaced_by.number,
        )

    def render_is_active(self, value: bool) -> str:
        return _active(value)


class LabourOperationTable(BaseTable):
    code = tables.Column(
        verbose_name=_("Code"),
        linkify=("inventory:catalogue-labour", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "text-nowrap font-monospace"}},
    )
    description = tables.Column(verbose_name=_("Description"))
    grade = tables.Column(verbose_name=_("Grade"), order_by=("grade__code",))
    standard_hours = tables.Column(verbose_name=_("Standard time (h)"), attrs=NOWRAP)
    models = tables.Column(
        verbose_name=_("Models"), accessor="pk", orderable=False, empty_values=()
    )
    is_active = tables.Column(verbose_name=_("Status"))

    class Meta(BaseTable.Meta):
        model = LabourOperation
        fields = ["code", "description", "grade", "standard_hours", "models", "is_active"]
        attrs = {**BaseTable.Meta.attrs, "data-testid": "labour-table"}

    def render_models(self, record: LabourOperation) -> str:
        names = [m.code for m in record.vehicle_models.all()]  # prefetched
        return ", ".join(names) if names else str(_("all models"))

    def render_is_active(self, value: bool) -> str:
        return _active(value)


class VehicleModelTable(BaseTable):
    code = tables.Column(
        verbose_name=_("Code"),
        linkify=("inventory:catalogue-vehicle", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "text-nowrap font-monospace"}},
    )
    name = tables.Column(verbose_name=_("Name"))
    body = tables.Column(verbose_name=_("Body"))
    trim_count = tables.Column(verbose_name=_("Trims"))
    is_active = tables.Column(verbose_name=_("Status"))

    class Meta(BaseTable.Meta):
        model = VehicleModel
        fields = ["code", "name", "body", "trim_count", "is_active"]

    def render_is_active(self, value: bool) -> str:
        return _active(value)


class _EditableTable(BaseTable):
    """Code, name and (for HQ editors) an edit link; the row's history for everyone."""

    code = tables.Column(verbose_name=_("Code"), attrs={"td": {"class": "font-monospace"}})
    name = tables.Column(verbose_name=_("Name"))
    actions = tables.Column(verbose_name="", accessor="pk", orderable=False, empty_values=())
    url_prefix = ""

    def __init__(self, *args: Any, can_edit: bool = False, **kwargs: Any) -> None:
        self.can_edit = can_edit
        super().__init__(*args, **kwargs)

    def render_actions(self, record: Any) -> str:
        links = [(reverse(f"{self.url_prefix}-history", args=[record.pk]), _("History"))]
        if self.can_edit:
            links.insert(0, (reverse(f"{self.url_prefix}-edit", args=[record.pk]), _("Edit")))
        return format_html_join(
            " ", '<a class="btn btn-sm btn-outline-secondary" href="{}">{}</a>', links
        )


class PartGroupTable(_EditableTable):
    url_prefix = "inventory:catalogue-part-group"

    class Meta(BaseTable.Meta):
        model = PartGroup
        fields = ["code", "name", "actions"]


class LabourGradeTable(_EditableTable):
    url_prefix = "inventory:catalogue-labour-grade"

    class Meta(BaseTable.Meta):
        model = LabourGrade
        fields = ["code", "name", "actions"]


class ColourTable(_EditableTable):
    url_prefix = "inventory:catalogue-colour"
    is_active = tables.Column(verbose_name=_("Status"))

    class Meta(BaseTable.Meta):
        model = Colour
        fields = ["code", "name", "is_active", "actions"]

    def render_is_active(self, value: bool) -> str:
        return _active(value)


class OptionTable(_EditableTable):
    url_prefix = "inventory:catalogue-option"
    kind = tables.Column(verbose_name=_("Kind"))
    is_active = tables.Column(verbose_name=_("Status"))

    class Meta(BaseTable.Meta):
        model = Option
        fields = ["code", "name", "kind", "is_active", "actions"]

    def render_is_active(self, value: bool) -> str:
        return _active(value)
