"""Search form of the parts-store list (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dms.ui.filters import StyledFilterSet, yes_no_any

from .models import PartStock


class PartStockFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("Part number or description"), method="search", max_length=100
    )
    bin_from = django_filters.CharFilter(
        label=_("Bin from"), field_name="bin", lookup_expr="gte", max_length=20
    )
    bin_to = django_filters.CharFilter(label=_("Bin to"), method="bin_up_to", max_length=20)
    to_reorder = django_filters.BooleanFilter(
        label=_("At or below reorder point"), method="reorder", widget=yes_no_any()
    )

    class Meta:
        model = PartStock
        fields = ["q", "bin_from", "bin_to", "to_reorder"]

    def search(self, queryset: QuerySet[PartStock], name: str, value: str) -> QuerySet[PartStock]:
        text = " ".join(value.split())
        if not text:
            return queryset
        words = Q()
        for word in text.split()[:8]:
            words &= Q(part__description__icontains=word)
        return queryset.filter(Q(part__number__istartswith=text) | words)

    def bin_up_to(
        self, queryset: QuerySet[PartStock], name: str, value: str
    ) -> QuerySet[PartStock]:
        # "A-09" includes every bin that starts with it (A-09, A-09-2…).
        return queryset.filter(Q(bin__lte=value) | Q(bin__startswith=value)) if value else queryset

    def reorder(
        self, queryset: QuerySet[PartStock], name: str, value: bool | None
    ) -> QuerySet[PartStock]:
        if value is None:
            return queryset
        due = Q(reorder_point__gt=0) & Q(
            reorder_point__gte=F("on_hand") - F("reserved") + F("on_order")
        )
        return queryset.filter(due) if value else queryset.exclude(due)
