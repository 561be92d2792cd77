"""Customer card, claim and merge forms, and the customer list's filters."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.roles import DealerRole
from dms.addresses import COUNTRIES, country_choices
from dms.ui.forms import StyledFormMixin
from inventory.models import VehicleModel
from leads.models import Customer
from leads.services.customers import (
    CONSENT_FIELDS,
    DRIVING_PREFERENCES_MAX,
    customer_problems,
)
from leads.services.normalize import normalize_phone

from .visits import vehicle_models


class ModelsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


CONSENT_LABELS = {
    "phone": _("Phone calls"),
    "email": _("E-mail"),
    "sms": _("SMS / messaging"),
    "post": _("Post"),
}


class CustomerForm(StyledFormMixin, forms.Form):
    """The card. Identifiers are free text here: the service normalises and checks them."""

    kind = forms.ChoiceField(label=_("Person or company"), choices=Customer.Kind.choices)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    phone_alt = forms.CharField(
        label=_("Other phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email"}),
    )
    national_id = forms.CharField(label=_("National ID"), max_length=60, required=False)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    models_of_interest = ModelsField(
        label=_("Models of interest"),
        queryset=VehicleModel.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": "1"}),
    )
    budget = forms.DecimalField(
        label=_("Budget"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    payment = forms.ChoiceField(
        label=_("Payment"), choices=Customer.Payment.choices, required=False
    )
    trade_in = forms.CharField(
        label=_("Trade-in vehicle"),
        max_length=200,
        required=False,
        help_text=_("Make, model, year, mileage."),
    )
    driving_preferences = forms.CharField(
        label=_("Driving preferences"),
        max_length=DRIVING_PREFERENCES_MAX,  # a note, not a document (also the maxlength)
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    competitor_models = forms.CharField(
        label=_("Competitor models considered"), max_length=200, required=False
    )
    interests = forms.CharField(label=_("Interests"), max_length=200, required=False)
    consent_phone = forms.BooleanField(label=CONSENT_LABELS["phone"], required=False)
    consent_email = forms.BooleanField(label=CONSENT_LABELS["email"], required=False)
    consent_sms = forms.BooleanField(label=CONSENT_LABELS["sms"], required=False)
    consent_post = forms.BooleanField(label=CONSENT_LABELS["post"], required=False)

    IDENTITY = (
        "kind",
        "first_name",
        "last_name",
        "company_name",
        "phone",
        "phone_alt",
        "email",
        "national_id",
    )
    ADDRESS = ("street", "postal_code", "city", "country")
    NEEDS = (
        "models_of_interest",
        "budget",
        "payment",
        "trade_in",
        "driving_preferences",
        "competitor_models",
        "interests",
    )
    CONSENTS = ("consent_phone", "consent_email", "consent_sms", "consent_post")

    def __init__(
        self,
        *args: Any,
        dealer: Dealer | None = None,
        customer: Customer | None = None,
        **kwargs: Any,
    ) -> None:
        """`dealer` (and `customer` for a change): the card's own checks (identifiers, name,
        postal code...) run with the form's, so every problem shows at once."""
        super().__init__(*args, **kwargs)
        self.dealer, self.customer = dealer, customer
        self.fields["models_of_interest"].queryset = vehicle_models()  # type: ignore[attr-defined]
        first = tuple(
            c for c in (getattr(customer, "country", ""), getattr(dealer, "country", "")) if c
        )
        country: Any = self.fields["country"]
        country.choices = [("", "—"), *country_choices(first=tuple(dict.fromkeys(first)))]
        stored = getattr(customer, "country", "")
        if stored and stored not in COUNTRIES:  # a code stored before the list: keep it shown
            country.choices = [*country.choices, (stored, stored)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.dealer is None:
            return data
        present = {k: v for k, v in data.items() if k not in self.errors}
        present.pop("models_of_interest", None)
        for channel in CONSENT_FIELDS:
            present.pop(f"consent_{channel}", None)
        problems = customer_problems(dealer=self.dealer, data=present, customer=self.customer)
        # Messages that only follow from a field the form refused itself (it was left out).
        refused = set(self.errors)
        implied = set()
        if refused & {"phone", "phone_alt", "email"}:
            implied |= {
                str(_("Enter a phone number or an e-mail address to reach the customer.")),
                str(_("Keep a phone number or an e-mail address to reach the customer.")),
            }
        if refused & {"first_name", "last_name", "company_name"}:
            implied.add(str(_("Enter the customer's name.")))
        for name, messages in problems.items():
            target = name if name in self.fields else None
            if target is not None and target in self.errors:
                continue  # its own message first
            for message in messages:
                if message not in implied:
                    self.add_error(target, message)
        return data

    @classmethod
    def initial_for(cls, customer: Customer) -> dict[str, Any]:
        from leads.services.normalize import format_phone

        data: dict[str, Any] = {
            name: getattr(customer, name)
            for name in (*cls.IDENTITY, *cls.ADDRESS, *cls.NEEDS)
            if name != "models_of_interest"
        }
        data["phone"] = format_phone(customer.phone)
        data["phone_alt"] = format_phone(customer.phone_alt)
        data["models_of_interest"] = list(customer.models_of_interest.values_list("pk", flat=True))
        for channel, field in CONSENT_FIELDS.items():
            data[f"consent_{channel}"] = getattr(customer, field) is not None
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        consents = {channel: bool(data.pop(f"consent_{channel}")) for channel in CONSENT_FIELDS}
        data["consents"] = consents
        data["models_of_interest"] = list(data["models_of_interest"])
        return data

    def section(self, names: tuple[str, ...]) -> list[Any]:
        return [self[name] for name in names]

    @property
    def identity_fields(self) -> list[Any]:
        return self.section(self.IDENTITY)

    @property
    def address_fields(self) -> list[Any]:
        return self.section(self.ADDRESS)

    @property
    def needs_fields(self) -> list[Any]:
        return self.section(self.NEEDS)

    @property
    def consent_fields(self) -> list[Any]:
        return self.section(self.CONSENTS)


class ClaimForm(StyledFormMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why should this customer be served by you?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your sales manager decides. The current consultant is told either way."),
    )


class ClaimDecisionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class MergeForm(StyledFormMixin, forms.Form):
    duplicate = forms.IntegerField(
        label=_("Customer no. of the duplicate"),
        min_value=1,
        help_text=_(
            "The duplicate's leads, visits and history move to this card; it is kept "
            "only as a pointer to this one."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I checked that both cards are the same customer."), required=True
    )


# --- customer list filters ---------------------------------------------------------------------


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Customer.Kind.choices, empty_label=_("All")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Consultant"), queryset=get_user_model().objects.none(), empty_label=_("All")
    )
    vehicle_model = django_filters.ModelChoiceFilter(
        label=_("Model of interest"),
        queryset=VehicleModel.objects.none(),
        method="filter_model",
        empty_label=_("All"),
    )
    payment = django_filters.ChoiceFilter(
        label=_("Payment"),
        choices=[c for c in Customer.Payment.choices if c[0]],
        empty_label=_("All"),
    )

    class Meta:
        model = Customer
        fields = ["q", "kind", "owner", "vehicle_model", "payment"]

    def __init__(
        self, *args: Any, dealer: Dealer | None = None, show_owner: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.region = (dealer.country if dealer else "DE") or "DE"
        if show_owner and dealer is not None:
            self.filters["owner"].queryset = (  # type: ignore[attr-defined]
                get_user_model()
                .objects.filter(
                    memberships__dealer=dealer,
                    memberships__role__in=[
                        DealerRole.CONSULTANT,
                        DealerRole.SALES_MANAGER,
                        DealerRole.DEALER_MANAGER,
                    ],
                )
                .order_by("last_name", "first_name", "username")
                .distinct()
            )
        else:
            del self.filters["owner"]
        self.filters["vehicle_model"].queryset = vehicle_models()  # type: ignore[attr-defined]
        for field in self.form.fields.values():
            widget = type(field.widget).__name__.lower()
            field.widget.attrs["class"] = "form-select" if "select" in widget else "form-control"
        if "owner" in self.form.fields:
            self.form.fields["owner"].label_from_instance = (  # type: ignore[attr-defined]
                lambda user: user.get_full_name() or user.get_username()
            )
        self.form.fields["q"].widget.attrs["placeholder"] = _("Name, phone or e-mail")
        self.form.fields["q"].widget.attrs["type"] = "search"

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = " ".join((value or "").split())[:100]
        if not value:
            return queryset
        q = (
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(company_name__icontains=value)
            | Q(email__icontains=value.lower())
        )
        if " " in value:
            first, last = value.rsplit(" ", 1)
            q |= Q(first_name__icontains=first, last_name__icontains=last)
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 4:
            q |= Q(phone__contains=digits) | Q(phone_alt__contains=digits)
            try:
                number = normalize_phone(value, self.region)
            except ValidationError:
                number = ""
            if number:
                q |= Q(phone=number) | Q(phone_alt=number)
        return queryset.filter(q)

    def filter_model(
        self, queryset: QuerySet[Customer], name: str, value: Any
    ) -> QuerySet[Customer]:
        if not value:
            return queryset
        from django.db.models import Exists, OuterRef

        from leads.models import CustomerModelInterest

        return queryset.filter(
            Exists(
                CustomerModelInterest.objects.filter(
                    dealer_id=OuterRef("dealer_id"), customer=OuterRef("pk"), vehicle_model=value
                )
            )
        )
