"""Forms of the HQ catalogue pages. They check the shape of what was typed; the rules (unique
codes, weights, loops of replacements) are the services' (inventory.services), whose
ValidationErrors land on these forms (StyledFormMixin.apply_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dms.ui.forms import DateInput, StyledFormMixin, validate_form_day

from ..models import LabourGrade, Option, Part, PartGroup, VehicleModel


class PartForm(StyledFormMixin, forms.Form):
    number = forms.CharField(
        label=_("Part number"),
        max_length=40,
        help_text=_("As printed on the box: leading zeros and letters count."),
    )
    description = forms.CharField(label=_("Description"), max_length=200)
    group = forms.ModelChoiceField(
        label=_("Part group"), queryset=PartGroup.objects.order_by("code")
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Part.Unit.choices, initial=Part.Unit.PIECE)
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), required=False, max_digits=10, decimal_places=3
    )
    is_active = forms.BooleanField(
        label=_("Active (dealers may order it)"), required=False, initial=True
    )

    def __init__(self, *args: Any, part: Part | None = None, **kwargs: Any) -> None:
        if part is not None:
            kwargs.setdefault(
                "initial",
                {
                    "number": part.number,
                    "description": part.description,
                    "group": part.group_id,
                    "unit": part.unit,
                    "weight_kg": part.weight_kg,
                    "is_active": part.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        if part is None:
            del self.fields["is_active"]  # a new part is active
        else:
            del self.fields["number"]  # a part's number never changes


class ReplaceForm(StyledFormMixin, forms.Form):
    replaced_by = forms.CharField(label=_("Replaced by (part number)"), max_length=40, strip=True)
    valid_from = forms.DateField(
        label=_("From"), widget=DateInput(), validators=[validate_form_day]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_replaced_by(self) -> Part:
        number = self.cleaned_data["replaced_by"]
        part = Part.objects.filter(number=number).first()
        if part is None:
            raise forms.ValidationError(
                _("No part has the number %(number)s."), params={"number": number}
            )
        return part


class LabourOperationForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Operation code"), max_length=20)
    description = forms.CharField(label=_("Description"), max_length=200)
    grade = forms.ModelChoiceField(
        label=_("Labour grade"), queryset=LabourGrade.objects.order_by("code")
    )
    standard_hours = forms.DecimalField(
        label=_("Standard time (hours)"), max_digits=6, decimal_places=2
    )
    vehicle_models = forms.ModelMultipleChoiceField(
        label=_("Models"),
        queryset=VehicleModel.objects.order_by("code"),
        required=False,
        help_text=_("None chosen: the operation applies to every model."),
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]  # the code names the operation on repair orders


class CodeNameForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=150)


class ActiveCodeNameForm(CodeNameForm):
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class VehicleModelForm(ActiveCodeNameForm):
    body = forms.CharField(label=_("Body"), max_length=50, required=False)
    field_order = ["code", "name", "body", "is_active"]


class TrimForm(ActiveCodeNameForm):
    vehicle_model = forms.ModelChoiceField(
        label=_("Model"), queryset=VehicleModel.objects.order_by("code")
    )
    field_order = ["vehicle_model", "code", "name", "is_active"]


class OptionForm(ActiveCodeNameForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Option.Kind.choices)
    field_order = ["code", "name", "kind", "is_active"]
