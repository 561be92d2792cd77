"""Forms of the technical-campaign pages (HQ). The rules are in bulletins.campaigns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dms.ui.forms import DateTimeLocalInput, StyledFormMixin, validate_form_day
from inventory.models import LabourOperation, Part

from .models import TechnicalCampaign

MAX_PASTED_VEHICLES = 20000


class OperationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.description} ({obj.standard_hours} h)"


class CampaignForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Campaign code"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TechnicalCampaign.Kind.choices)
    labour_operation = OperationChoiceField(
        label=_("Labour operation"),
        queryset=LabourOperation.objects.filter(is_active=True).order_by("code"),
    )
    stop_sale = forms.BooleanField(
        label=_("Stop-sale: affected vehicles in stock may not be delivered until repaired"),
        required=False,
    )
    description = forms.CharField(
        label=_("Description for the dealers"), widget=forms.Textarea(attrs={"rows": 4}),
        required=False, max_length=4000,
    )  # fmt: skip
    parts = forms.CharField(
        label=_("Parts"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "0041234; 1\n0041300; 2"}),
        required=False,
        help_text=_("One part per line: part number; quantity."),
    )

    def clean_parts(self) -> list[tuple[Part, Decimal]]:
        lines = [ln.strip() for ln in self.cleaned_data["parts"].splitlines() if ln.strip()]
        wanted: list[tuple[str, Decimal]] = []
        errors = []
        for n, line in enumerate(lines, start=1):
            number, _sep, qty = (p.strip() for p in line.partition(";"))
            try:
                quantity = Decimal(qty or "1")
            except InvalidOperation:
                errors.append(_("Line %(n)d: %(qty)s is not a quantity.") % {"n": n, "qty": qty})
                continue
            wanted.append((number, quantity))
        parts = Part.objects.in_bulk([n for n, _q in wanted], field_name="number")
        errors += [
            _("Line %(n)d: unknown part number %(number)s.") % {"n": n, "number": number}
            for n, (number, _q) in enumerate(wanted, start=1)
            if number not in parts
        ]
        if errors:
            raise ValidationError(errors)
        return [(parts[number], qty) for number, qty in wanted]


class VehicleListForm(StyledFormMixin, forms.Form):
    vehicles = forms.CharField(
        label=_("VINs"),
        widget=forms.Textarea(
            attrs={"rows": 10, "class": "font-monospace", "placeholder": "WAUZZZ8V0KA000001; DE001"}
        ),  # fmt: skip
        help_text=_(
            "One VIN per line, optionally followed by the responsible dealer's code "
            "(VIN; dealer). The list replaces the current one; nothing is loaded while a line "
            "has an error."
        ),
    )

    def rows(self) -> list[dict[str, str]]:
        """Each non-empty line as a row {vin, dealer}; line numbers are the row numbers."""
        text = self.cleaned_data["vehicles"]
        lines = text.splitlines()
        if len(lines) > MAX_PASTED_VEHICLES:
            raise ValidationError(_("At most %(n)d vehicles at once.") % {"n": MAX_PASTED_VEHICLES})
        rows = []
        for line in lines:
            vin, _sep, dealer = (p.strip() for p in line.replace(",", ";").partition(";"))
            rows.append({"vin": vin, "dealer": dealer})
        return rows


class PublishCampaignForm(StyledFormMixin, forms.Form):
    ack_deadline = forms.DateTimeField(
        label=_("Dealers acknowledge by"),
        widget=DateTimeLocalInput(),
        validators=[validate_form_day],
    )

    def clean_ack_deadline(self) -> dt.datetime:
        return self.cleaned_data["ack_deadline"]
