"""Tables of the parts-store pages (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import NOWRAP, BaseTable

from .models import PartStock

NUMBER = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


class PartStockTable(BaseTable):
    number = tables.Column(
        verbose_name=_("Part number"),
        accessor="part__number",
        linkify=("inventory:parts-card", {"part_pk": tables.A("part_id")}),
        attrs={"td": {"class": "text-nowrap font-monospace"}},
    )
    description = tables.Column(verbose_name=_("Description"), accessor="part__description")
    bin = tables.Column(verbose_name=_("Bin"), attrs=NOWRAP)
    on_hand = tables.Column(verbose_name=_("On hand"), attrs=NUMBER)
    reserved = tables.Column(verbose_name=_("Reserved"), attrs=NUMBER)
    available = tables.Column(
        verbose_name=_("Available"), attrs=NUMBER, order_by=("on_hand",), empty_values=()
    )
    on_order = tables.Column(verbose_name=_("On order"), attrs=NUMBER)
    reorder_point = tables.Column(verbose_name=_("Reorder point"), attrs=NUMBER)
    average_cost = tables.Column(verbose_name=_("Average cost"), attrs=NUMBER)

    class Meta(BaseTable.Meta):
        model = PartStock
        fields = [
            "number",
            "description",
            "bin",
            "on_hand",
            "reserved",
            "available",
            "on_order",
            "reorder_point",
            "average_cost",
        ]
