"""Forms of the vehicle-stock pages: the shape of what was typed; the rules are the services'
(inventory.vehicles.services), whose ValidationErrors come back as messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dms.ui.forms import DateInput, DealerChoiceField, StyledFormMixin, validate_form_day

from ..models import Colour, Trim
from .models import StockVehicle, Vehicle


class VehicleFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("VIN or trim"), required=False, max_length=40)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("any"))] + list(Vehicle.State.choices)
    )
    dealer = DealerChoiceField(
        label=_("Allocated to"),
        required=False,
        queryset=Dealer.objects.filter(is_active=True).order_by("code"),
    )


class AllocateForm(StyledFormMixin, forms.Form):
    dealer = DealerChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.filter(is_active=True).order_by("code")
    )
    eta = forms.DateField(
        label=_("ETA"), required=False, widget=DateInput(), validators=[validate_form_day]
    )


class EtaForm(StyledFormMixin, forms.Form):
    eta = forms.DateField(
        label=_("ETA at the dealer"), widget=DateInput(), validators=[validate_form_day]
    )


class OptionalEtaForm(StyledFormMixin, forms.Form):
    eta = forms.DateField(
        label=_("ETA"), required=False, widget=DateInput(), validators=[validate_form_day]
    )


class BuildForm(StyledFormMixin, forms.Form):
    build_date = forms.DateField(
        label=_("Build date"), widget=DateInput(), validators=[validate_form_day]
    )


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ArrivalForm(StyledFormMixin, forms.Form):
    day = forms.DateField(
        label=_("Arrived on"),
        required=False,
        widget=DateInput(),
        validators=[validate_form_day],
        help_text=_("Empty: today."),
    )


class UseForm(StyledFormMixin, forms.Form):
    use = forms.ChoiceField(
        label=_("Use"),
        choices=[
            (StockVehicle.State.AT_DEALER, _("Stock for sale")),
            (StockVehicle.State.DEMO, _("Demo fleet")),
            (StockVehicle.State.COURTESY, _("Courtesy car")),
        ],
    )


class RequestForm(StyledFormMixin, forms.Form):
    trim = forms.ModelChoiceField(
        label=_("Trim"),
        queryset=Trim.objects.filter(is_active=True).select_related("vehicle_model"),
    )
    colour = forms.ModelChoiceField(
        label=_("Colour"), required=False, queryset=Colour.objects.filter(is_active=True)
    )
    options = forms.CharField(label=_("Options"), required=False, max_length=300)
    wanted_by = forms.DateField(
        label=_("Wanted by"), required=False, widget=DateInput(), validators=[validate_form_day]
    )
    note = forms.CharField(label=_("Note to HQ"), required=False, max_length=300)


class AnswerForm(StyledFormMixin, forms.Form):
    vehicle = forms.ModelChoiceField(
        label=_("Allocate this vehicle"), required=False, queryset=Vehicle.objects.none()
    )
    eta = forms.DateField(
        label=_("ETA"), required=False, widget=DateInput(), validators=[validate_form_day]
    )
    answer = forms.CharField(
        label=_("Answer to the dealer"),
        required=False,
        max_length=300,
        help_text=_("Without a vehicle, the request is declined with this answer."),
    )

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if candidates is not None:
            field: Any = self.fields["vehicle"]
            field.queryset = candidates
