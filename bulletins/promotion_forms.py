"""Form of the HQ promotion editor. The rules are in bulletins.promotions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Region
from dms.ui.forms import DateInput, StyledFormMixin, validate_form_day
from inventory.models import Trim, VehicleModel

from .models import Promotion


class DealerMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Dealer) -> str:
        return f"{obj.code} {obj.name}"


class PromotionForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    valid_from = forms.DateField(label=_("First day"), widget=DateInput(),
                                 validators=[validate_form_day])  # fmt: skip
    valid_to = forms.DateField(label=_("Last day"), widget=DateInput(),
                               validators=[validate_form_day])  # fmt: skip
    kind = forms.ChoiceField(label=_("Kind"), choices=Promotion.Kind.choices)
    value = forms.DecimalField(label=_("Amount or percentage"), max_digits=12, decimal_places=2,
                               min_value=0)  # fmt: skip
    stacks_with_discount = forms.BooleanField(
        label=_("Combines with the dealer's own discount"), required=False
    )
    budget = forms.IntegerField(
        label=_("Budget (orders, network-wide)"), required=False, min_value=1,
        help_text=_("Empty: no limit."),
    )  # fmt: skip
    all_dealers = forms.BooleanField(label=_("Whole network"), required=False)
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"), queryset=Region.objects.order_by("name"), required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )  # fmt: skip
    dealers = DealerMultipleChoiceField(
        label=_("Dealers"), queryset=Dealer.objects.filter(is_active=True).order_by("code"),
        required=False, widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )  # fmt: skip
    vehicle_models = forms.ModelMultipleChoiceField(
        label=_("Eligible models"), queryset=VehicleModel.objects.filter(is_active=True),
        required=False, help_text=_("None chosen (and no trim): every model."),
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )  # fmt: skip
    trims = forms.ModelMultipleChoiceField(
        label=_("Eligible trims"), queryset=Trim.objects.select_related("vehicle_model"),
        required=False, widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )  # fmt: skip
