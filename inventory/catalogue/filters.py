"""Search forms of the catalogue pages (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dms.ui.filters import ANY, StyledFilterSet, yes_no_any

from ..models import LabourGrade, LabourOperation, Option, Part, PartGroup, VehicleModel
from ..selectors import search_parts


class PartFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("Part number or description"), method="search", max_length=100
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Part group"), queryset=PartGroup.objects.order_by("code"), empty_label=ANY
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = Part
        fields = ["q", "group", "is_active"]

    def search(self, queryset: QuerySet[Part], name: str, value: str) -> QuerySet[Part]:
        return search_parts(queryset, value)


class LabourOperationFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Code or description"), method="search", max_length=100)
    grade = django_filters.ModelChoiceFilter(
        label=_("Labour grade"), queryset=LabourGrade.objects.order_by("code"), empty_label=ANY
    )
    vehicle_model = django_filters.ModelChoiceFilter(
        label=_("Model"),
        queryset=VehicleModel.objects.order_by("code"),
        method="for_model",
        empty_label=ANY,
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = LabourOperation
        fields = ["q", "grade", "vehicle_model", "is_active"]

    def search(
        self, queryset: QuerySet[LabourOperation], name: str, value: str
    ) -> QuerySet[LabourOperation]:
        value = " ".join(value.split())
        if not value:
            return queryset
        words = Q()
        for word in value.split()[:8]:
            words &= Q(description__icontains=word)
        return queryset.filter(Q(code__istartswith=value) | words)

    def for_model(
        self, queryset: QuerySet[LabourOperation], name: str, value: VehicleModel
    ) -> QuerySet[LabourOperation]:
        """Operations for this model: those listing it, and those listing no model (all)."""
        return queryset.filter(Q(vehicle_models=value) | Q(vehicle_models__isnull=True)).distinct()


class CodeNameFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="search", max_length=100)

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class VehicleModelFilterSet(CodeNameFilterSet):
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = VehicleModel
        fields = ["q", "is_active"]


class OptionFilterSet(CodeNameFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Option.Kind.choices, empty_label=ANY
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = Option
        fields = ["q", "kind", "is_active"]
