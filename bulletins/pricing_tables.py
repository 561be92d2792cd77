"""Tables of the price-list pages (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import NOWRAP, BaseTable

from .models import LabourPrice, PartPrice, VehiclePrice

MONEY_ATTRS = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


class VehiclePriceTable(BaseTable):
    kind = tables.Column(verbose_name=_("Kind"))
    code = tables.Column(verbose_name=_("Code"), attrs=NOWRAP)
    price = tables.Column(verbose_name=_("Price"), attrs=MONEY_ATTRS)

    class Meta(BaseTable.Meta):
        model = VehiclePrice
        fields = ("kind", "code", "price")
        per_page = 50


class PartPriceTable(BaseTable):
    number = tables.Column(verbose_name=_("Part number"), accessor="part__number", attrs=NOWRAP)
    description = tables.Column(verbose_name=_("Description"), accessor="part__description")
    group = tables.Column(verbose_name=_("Group"), accessor="part__group__code")
    retail_price = tables.Column(verbose_name=_("Retail price"), attrs=MONEY_ATTRS)
    dealer_net_price = tables.Column(
        verbose_name=_("Dealer net price"), attrs=MONEY_ATTRS, default="—"
    )

    class Meta(BaseTable.Meta):
        model = PartPrice
        fields = ("number", "description", "group", "retail_price", "dealer_net_price")
        per_page = 50


class LabourPriceTable(BaseTable):
    grade = tables.Column(verbose_name=_("Labour grade"), accessor="grade__name")
    min_rate = tables.Column(verbose_name=_("Lowest"), attrs=MONEY_ATTRS)
    recommended_rate = tables.Column(verbose_name=_("Recommended"), attrs=MONEY_ATTRS)
    max_rate = tables.Column(verbose_name=_("Highest"), attrs=MONEY_ATTRS)

    class Meta(BaseTable.Meta):
        model = LabourPrice
        fields = ("grade", "min_rate", "recommended_rate", "max_rate")
        per_page = 50
