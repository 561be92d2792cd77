"""django-filter filtersets of the network pages and API. Choice querysets depend on the
request's access, so nobody can pick (or learn of) another dealer's staff through a filter."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dms.accounts.models import HqRole
from dms.ui.filters import ANY, DealerFilter, StyledFilterSet, yes_no_any
from dms.ui.forms import DateInput

from .forms import MembershipChoiceField
from .models import Dealer, Membership, Region, StaffAbsence
from .roles import DealerRole
from .selectors import absence_memberships, request_access


class MembershipFilter(django_filters.ModelChoiceFilter):
    field_class = MembershipChoiceField


def _scope_memberships(request: Any) -> QuerySet[Membership]:
    if request is None:
        return Membership.objects.none()
    return absence_memberships(request_access(request))


def _scope_dealers(request: Any) -> QuerySet[Dealer]:
    if request is None:
        return Dealer.objects.none()
    return Dealer.objects.filter(pk__in=request_access(request).dealer_ids).order_by("code")


class AbsenceFilterSet(StyledFilterSet):
    dealer = DealerFilter(label=_("Dealer"), queryset=_scope_dealers, empty_label=ANY)
    membership = MembershipFilter(
        label=_("Staff member"), queryset=_scope_memberships, empty_label=ANY
    )
    reason = django_filters.ChoiceFilter(
        label=_("Reason"), choices=StaffAbsence.Reason.choices, empty_label=ANY
    )
    absent_from = django_filters.DateFilter(
        label=_("Absent on or after"), field_name="ends_on", lookup_expr="gte", widget=DateInput()
    )
    absent_until = django_filters.DateFilter(
        label=_("Absent on or before"),
        field_name="starts_on",
        lookup_expr="lte",
        widget=DateInput(),
    )

    class Meta:
        model = StaffAbsence
        fields = ["dealer", "membership", "reason", "absent_from", "absent_until"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(request_access(self.request).dealer_ids) <= 1:
            del self.filters["dealer"]  # one dealer: nothing to choose


class StaffFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="search")
    role = django_filters.ChoiceFilter(label=_("Role"), choices=DealerRole.choices, empty_label=ANY)
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = Membership
        fields = ["q", "role", "is_active"]

    def search(self, queryset: QuerySet[Membership], name: str, value: str) -> QuerySet[Membership]:
        return queryset.filter(
            Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
            | Q(user__username__icontains=value)
        )


class DealerListFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=Region.objects.order_by("name"), empty_label=ANY
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = Dealer
        fields = ["q", "region", "is_active"]

    def search(self, queryset: QuerySet[Dealer], name: str, value: str) -> QuerySet[Dealer]:
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(legal_name__icontains=value)
        )


class UserListFilterSet(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Name, username or e-mail"), method="search")
    hq_role = django_filters.ChoiceFilter(
        label=_("HQ role"), choices=HqRole.choices, empty_label=ANY
    )
    role = django_filters.ChoiceFilter(
        label=_("Dealer role"), choices=DealerRole.choices, method="filter_role", empty_label=ANY
    )
    dealer = DealerFilter(
        label=_("Dealer"),
        queryset=Dealer.objects.order_by("code"),
        method="filter_dealer",
        empty_label=ANY,
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=yes_no_any())

    class Meta:
        model = get_user_model()
        fields = ["q", "hq_role", "role", "dealer", "is_active"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )

    def filter_role(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(
            pk__in=Membership.objects.filter(role=value, is_active=True).values("user_id")
        )

    def filter_dealer(self, queryset: QuerySet[Any], name: str, value: Dealer) -> QuerySet[Any]:
        return queryset.filter(pk__in=Membership.objects.filter(dealer=value).values("user_id"))
