"""Forms of the funnel pages (leads, follow-ups, my day, funnel, approvals). They parse input;
the rules live in leads.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Membership
from dealers.roles import Cap
from dms.ui.forms import day_range, day_range_message, validate_form_day
from inventory.models import VehicleModel
from leads.models import FUNNEL_STAGES, FollowUp, Lead, LeadSettings, LeadSource, LostReason, Stage
from leads.reference.messages import by_label, hq_text

GRADE_CHOICES = [
    ("H", _("H – Hot")),
    ("A", _("A – Warm")),
    ("B", _("B – Interested")),
    ("C", _("C – Early")),
]
ACTIVITY_KINDS = [
    ("call", _("Phone call")),
    ("email", _("E-mail")),
    ("sms", _("Text message")),
    ("meeting", _("Meeting")),
    ("note", _("Internal note")),
]


class FunnelFormMixin:
    """Bootstrap classes, and a service's ValidationError put onto the fields."""

    fields: dict[str, Any]
    add_error: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def apply_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for err in errors:
                    self.add_error(name if name in self.fields else None, err)
        else:
            for message in error.messages:
                self.add_error(None, message)


class FunnelForm(FunnelFormMixin, forms.Form):
    pass


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class StageForm(FunnelForm):
    stage = forms.ChoiceField(
        label=_("Move to stage"), choices=[(s.value, s.label) for s in FUNNEL_STAGES]
    )


class GradeForm(FunnelForm):
    grade = forms.ChoiceField(label=_("Grade"), choices=GRADE_CHOICES)


class StepForm(FunnelForm):
    step = forms.SlugField(widget=forms.HiddenInput)


class WaiveForm(FunnelForm):
    step = forms.SlugField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the waiver"), max_length=300, required=False)


class ReasonChoiceField(forms.ModelChoiceField):
    """Lost reasons by their name in the reader's language (HQ's defaults translated)."""

    def label_from_instance(self, obj: Any) -> str:
        return hq_text(obj.name)


class LostRequestForm(FunnelForm):
    reason = ReasonChoiceField(
        label=_("Reason"),
        queryset=LostReason.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("Choose a reason…"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LostDecisionForm(FunnelForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DormantForm(FunnelForm):
    reason = forms.CharField(
        label=_("Why does the lead go dormant?"), max_length=300, required=False
    )


class ActivityForm(FunnelForm):
    kind = forms.ChoiceField(label=_("What"), choices=ACTIVITY_KINDS)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)


ANY_CHOICE = ("", "---------")  # django-filter's empty choice (FILTERS_EMPTY_CHOICE_LABEL)


def person_label(user: Any) -> str:
    """A salesperson in a choice list: their name, not their login."""
    return user.get_full_name() or user.get_username()


class ReassignForm(FunnelForm):
    consultant = forms.ModelChoiceField(
        label=_("Hand to"), queryset=get_user_model().objects.none(), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, dealer: Dealer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["consultant"]
        field.queryset = salespeople(dealer)
        field.label_from_instance = person_label


def salespeople(dealer: Dealer) -> QuerySet[Any]:
    from dealers.roles import DEALER_ROLE_CAPS

    roles = [r for r, caps in DEALER_ROLE_CAPS.items() if Cap.SALES_OWN in caps]
    ids = Membership.objects.filter(dealer=dealer, role__in=roles, is_active=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class FollowUpCreateForm(FunnelForm):
    due_at = forms.DateTimeField(
        label=_("When"),
        widget=LocalDateTimeInput(),
        required=False,
        validators=[validate_form_day],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FollowUpDoneForm(FunnelForm):
    result = forms.ChoiceField(label=_("Outcome"), choices=FollowUp.Result.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RescheduleForm(FunnelForm):
    due_at = forms.DateTimeField(
        label=_("New time"),
        widget=LocalDateTimeInput(),
        required=False,
        validators=[validate_form_day],
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class LeadSettingsForm(FunnelForm):
    effective: dict[str, int]  # the values in force (HQ defaults filled in), for the page

    routing = forms.ChoiceField(label=_("Lead routing"), choices=LeadSettings.Routing.choices)
    auto_reassign = forms.BooleanField(
        label=_("Reassign leads untouched past their first-response deadline"), required=False
    )
    pool_after_days = forms.IntegerField(
        label=_("Pool leads after (days without activity)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Empty: the HQ default."),
    )
    max_open_leads = forms.IntegerField(
        label=_("Open leads per consultant (cap)"),
        min_value=1,
        max_value=10000,
        required=False,
        help_text=_("Empty: the HQ default."),
    )
    stale_after_days = forms.IntegerField(
        label=_("A lead is stale after (days without activity)"), min_value=1, max_value=365
    )
    email_reminders = forms.BooleanField(label=_("Also e-mail follow-up reminders"), required=False)


# --- list filters --------------------------------------------------------------------------------


class LeadFilterSet(django_filters.FilterSet):
    STATUS = [
        ("open", _("Open")),
        ("pool", _("In the pool")),
        ("closed", _("Closed")),
        ("all", _("All")),
    ]

    q = django_filters.CharFilter(label=_("Customer"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS, method="filter_status", empty_label=None
    )
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=[*GRADE_CHOICES, ("O", "O")])
    consultant = django_filters.ModelChoiceFilter(
        label=_("Consultant"), queryset=get_user_model().objects.none()
    )
    # TypedChoiceFilter's field is Django's TypedChoiceField, which (unlike ChoiceFilter's) adds
    # no empty choice: without one the first source and model looked chosen, and submitting the
    # untouched filter bar narrowed the list to them.
    source = django_filters.TypedChoiceFilter(
        label=_("Source"),
        field_name="source_id",
        # the cache holds the stored names; each page shows them in its reader's language
        choices=lambda: [ANY_CHOICE, *by_label(source_choices())],
        coerce=int,
        empty_value=None,
    )
    vehicle_model = django_filters.TypedChoiceFilter(
        label=_("Model"),
        field_name="vehicle_model_id",
        choices=lambda: [ANY_CHOICE, *model_choices()],
        coerce=int,
        empty_value=None,
    )

    class Meta:
        model = Lead
        fields = ["q", "status", "stage", "grade", "consultant", "source", "vehicle_model"]

    def __init__(
        self, data: Any = None, *args: Any, dealer: Dealer, show_consultant: bool, **kwargs: Any
    ) -> None:
        if data is not None:
            data = data.copy()
            data.setdefault("status", "open")
        else:
            data = {"status": "open"}
        super().__init__(data, *args, **kwargs)
        if show_consultant:
            field = self.filters["consultant"]
            field.queryset = salespeople(dealer)
            # People by name, not login.
            consultant: Any = self.form.fields["consultant"]
            consultant.label_from_instance = person_label
        else:
            del self.filters["consultant"]
        for f in self.form.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs["class"] = css

    def search(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        value = value.strip()
        if not value:
            return queryset
        from django.db.models import Q

        q = Q()
        for word in value.split()[:3]:
            q &= (
                Q(customer__last_name__istartswith=word)
                | Q(customer__first_name__istartswith=word)
                | Q(customer__company_name__istartswith=word)
            )
        if value.lstrip("+").isdigit():
            q |= Q(customer__phone__endswith=value.lstrip("+0")[-9:])
        return queryset.filter(q)

    def filter_status(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        if value == "open":
            return queryset.filter(is_open=True, in_pool=False)
        if value == "pool":
            return queryset.filter(in_pool=True)
        if value == "closed":
            return queryset.filter(is_open=False)
        return queryset


REFERENCE_CACHE_SECONDS = 300


def _cache_key(name: str) -> str:
    return f"leads:{name}:{connection.settings_dict['NAME']}"


def clear_choice_cache() -> None:
    cache.delete_many([_cache_key("source_choices"), _cache_key("model_choices")])


def source_choices() -> list[tuple[int, str]]:
    """HQ lead sources for filters: cached (reference data; no query on a hot page). The names
    are the stored ones, shared by every language: translate them with `hq_text` when showing
    them, never before caching."""
    key = _cache_key("source_choices")
    cached: list[tuple[int, str]] | None = cache.get(key)
    if cached is None:
        cached = list(LeadSource.objects.order_by("name").values_list("pk", "name"))
        cache.set(key, cached, REFERENCE_CACHE_SECONDS)
    return cached


def model_choices() -> list[tuple[int, str]]:
    key = _cache_key("model_choices")
    cached: list[tuple[int, str]] | None = cache.get(key)
    if cached is None:
        cached = list(
            VehicleModel.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        )
        cache.set(key, cached, REFERENCE_CACHE_SECONDS)
    return cached


def read_day(raw: str | None) -> tuple[dt.date | None, str]:
    """A day from a query string: (the day, "") or (None, why not) when it is missing, not a
    date, or outside `day_range()` (0001-01-01 or 9999-12-31 overflowed the pages' "day
    before/after" links)."""
    if not raw:
        return None, ""
    try:
        day = dt.date.fromisoformat(raw.strip()) if len(raw) <= 32 else None
    except ValueError:
        day = None
    if day is None:
        return None, str(_("That is not a date."))
    first, last = day_range()
    if not first <= day <= last:
        return None, day_range_message()
    return day, ""


def parse_day(raw: str | None, default: dt.date) -> dt.date:
    """A day from a query string, or `default` when it is missing, bad or out of range."""
    day, _problem = read_day(raw)
    return default if day is None else day


def default_due(days: int = 1) -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=days)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)
