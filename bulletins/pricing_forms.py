"""Forms of the price-list pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dms.ui.forms import StyledFormMixin, validate_form_day


class PublishForm(StyledFormMixin, forms.Form):
    valid_from = forms.DateField(
        label=_("Valid from"),
        validators=[validate_form_day],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The first day the new prices apply (HQ's today or later)."),
    )
    confirm = forms.BooleanField(
        label=_("I have checked the differences against the version in force."), required=True
    )


class PriceLookupForm(StyledFormMixin, forms.Form):
    day = forms.DateField(
        label=_("Prices on"),
        validators=[validate_form_day],
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    codes = forms.CharField(
        label=_("Vehicle codes"),
        required=False,
        help_text=_("Trim, colour, option or accessory codes, separated by spaces or commas."),
    )
    parts = forms.CharField(
        label=_("Part numbers"), required=False, help_text=_("Separated by spaces or commas.")
    )

    @staticmethod
    def split(value: str) -> list[str]:
        return [v for v in value.replace(",", " ").split() if v][:100]


class LabourRateForm(StyledFormMixin, forms.Form):
    rate = forms.DecimalField(
        label=_("Your hourly rate"), min_value=Decimal(0), max_digits=12, decimal_places=2
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
