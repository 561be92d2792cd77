"""Filters of the audit log screen, its CSV export and its API (the same rules for all three)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.selectors import request_access
from dms.ui.filters import ANY, DealerFilter, StyledFilterSet
from dms.ui.forms import DateInput

from .models import AuditAction, AuditEntry
from .selectors import audit_actors_for, sees_whole_network


def _actor_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _actor_label(obj)


class ActorFilter(django_filters.ModelChoiceFilter):
    field_class = ActorChoiceField


def _actors(request: Any) -> QuerySet[Any]:
    return audit_actors_for(request_access(request))


def _all_dealers(request: Any) -> QuerySet[Dealer]:
    if request is None or not sees_whole_network(request_access(request)):
        return Dealer.objects.none()
    return Dealer.objects.order_by("code")


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class AuditEntryFilterSet(StyledFilterSet):
    actor = ActorFilter(label=_("Actor"), queryset=_actors, empty_label=ANY)
    dealer = DealerFilter(label=_("Dealer"), queryset=_all_dealers, empty_label=ANY)
    action = django_filters.ChoiceFilter(
        label=_("Action"), choices=AuditAction.choices, empty_label=ANY
    )
    date_from = django_filters.DateFilter(
        label=_("From (UTC)"), method="filter_from", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Until (UTC)"), method="filter_to", widget=DateInput()
    )

    class Meta:
        model = AuditEntry
        fields = ["actor", "dealer", "action", "date_from", "date_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.request is not None and not sees_whole_network(request_access(self.request)):
            del self.filters["dealer"]  # a dealer admin sees one dealer only

    def filter_from(
        self, queryset: QuerySet[AuditEntry], name: str, value: datetime.date
    ) -> QuerySet[AuditEntry]:
        return queryset.filter(at__gte=_day_start(value))

    def filter_to(
        self, queryset: QuerySet[AuditEntry], name: str, value: datetime.date
    ) -> QuerySet[AuditEntry]:
        return queryset.filter(at__lt=_day_start(value + datetime.timedelta(days=1)))
