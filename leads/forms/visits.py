"""Visitor log forms: the 30-second registration and the later leave time / outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dms.ui import forms as ui_forms
from dms.ui.forms import StyledFormMixin, validate_form_day
from inventory.models import VehicleModel
from leads.models import Customer, LeadSource, Visit
from leads.reference.messages import by_label


class DateTimeLocalField(ui_forms.DateTimeLocalField):
    """Visit times: only days within the accepted range (dms.ui.forms.day_range)."""

    default_validators = [validate_form_day]


class VehicleModelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def vehicle_models() -> Any:
    return VehicleModel.objects.filter(is_active=True).order_by("name")


class RegisterContactForm(StyledFormMixin, forms.Form):
    """Everything a consultant types while greeting the customer; the rest waits for the card."""

    kind = forms.ChoiceField(
        label=_("Walk-in or call"),
        choices=Visit.Kind.choices,
        initial=Visit.Kind.WALK_IN,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    is_company = forms.BooleanField(label=_("Company"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail (optional)"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    source = forms.ChoiceField(label=_("Source"), choices=())
    vehicle_model = VehicleModelChoiceField(
        label=_("Model of interest"),
        queryset=VehicleModel.objects.none(),
        required=False,
        empty_label=_("— not yet known —"),
    )
    party_size = forms.IntegerField(
        label=_("People"),
        min_value=1,
        max_value=50,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    arrived_at = DateTimeLocalField(label=_("Arrived / called at"))
    left_at = forms.TimeField(
        label=_("Left at"),
        required=False,
        widget=forms.TimeInput(
            attrs={"type": "time", "step": 60, "title": _("Same day as the arrival.")},
            format="%H:%M",
        ),
    )

    def __init__(self, *args: Any, dealer: Any = None, **kwargs: Any) -> None:
        """`dealer`: the registration's own checks (phone, e-mail, times...) run with the form's,
        so every problem shows at once."""
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        sources = by_label(LeadSource.objects.values_list("code", "name"))
        self.fields["source"].choices = sources  # type: ignore[attr-defined]
        if not self.is_bound and "source" not in self.initial:
            codes = {code for code, _name in sources}
            if "walk_in" in codes:
                self.initial["source"] = "walk_in"
        self.fields["vehicle_model"].queryset = vehicle_models()  # type: ignore[attr-defined]
        self.fields["source"].widget.attrs["data-walk-in-source"] = "walk_in"
        self.fields["source"].widget.attrs["data-phone-source"] = "phone"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.dealer is None:
            return data
        from leads.services.customers import registration_problems

        good = {k: v for k, v in data.items() if k not in self.errors}
        problems = registration_problems(
            dealer=self.dealer,
            kind=good.get("kind", Visit.Kind.WALK_IN),
            source_code=good.get("source", "") if "source" not in self.errors else "walk_in",
            name=good.get("name", "") if "name" not in self.errors else "-",
            customer_kind=Customer.Kind.COMPANY if good.get("is_company") else Customer.Kind.PERSON,
            phone=good.get("phone", ""),
            email=good.get("email", ""),
            party_size=good.get("party_size") or 1,
            arrived_at=good.get("arrived_at"),
            left_at=self.left_at_datetime(),
        )
        unreachable = str(_("Enter a phone number or an e-mail address to reach the customer."))
        for name, messages in problems.items():
            target = name if name in self.fields else None
            if target is not None and target in self.errors:
                continue
            for message in messages:
                if message == unreachable and {"phone", "email"} & set(self.errors):
                    continue  # the refused phone or e-mail says what to change
                self.add_error(target, message)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "name": data["name"],
            "customer_kind": Customer.Kind.COMPANY if data["is_company"] else Customer.Kind.PERSON,
            "phone": data["phone"],
            "email": data["email"],
            "source_code": data["source"],
            "vehicle_model": data["vehicle_model"],
            "party_size": data["party_size"],
            "arrived_at": data["arrived_at"],
            "left_at": self.left_at_datetime(),
        }

    def left_at_datetime(self) -> dt.datetime | None:
        """The leave time on the arrival's day, in the active (dealer's) time zone."""
        arrived, left = self.cleaned_data.get("arrived_at"), self.cleaned_data.get("left_at")
        if arrived is None or left is None:
            return None
        local_day = timezone.localtime(arrived).date()
        return timezone.make_aware(dt.datetime.combine(local_day, left))


class VisitUpdateForm(StyledFormMixin, forms.Form):
    left_at = DateTimeLocalField(label=_("Left at"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("— open —")), *Visit.Outcome.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
