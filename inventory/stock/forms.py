"""Forms of the parts-store pages. They check the shape of what was typed; the stock rules
(available quantity, units, reasons…) are inventory.stock.services', whose StockRefused lands on
the form (StyledFormMixin.apply_errors) and changes nothing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dms.ui.forms import StyledFormMixin

QUANTITY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class LookupForm(StyledFormMixin, forms.Form):
    number = forms.CharField(
        label=_("Part number"),
        max_length=40,
        help_text=_("An old number finds the part that replaces it."),
    )


class QuantityForm(StyledFormMixin, forms.Form):
    quantity = forms.DecimalField(label=_("Quantity"), **QUANTITY)  # type: ignore[arg-type]
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        help_text=_("What it is for: a repair order, a delivery note, a counter sale…"),
    )


class ReceiveForm(QuantityForm):
    unit_cost = forms.DecimalField(
        label=_("Unit cost"), max_digits=14, decimal_places=4, min_value=0, required=False
    )


class AdjustForm(StyledFormMixin, forms.Form):
    counted = forms.DecimalField(label=_("Counted on hand"), **QUANTITY)  # type: ignore[arg-type]
    reason = forms.CharField(label=_("Reason"), max_length=200)


class LevelsForm(StyledFormMixin, forms.Form):
    bin = forms.CharField(label=_("Bin location"), max_length=20, required=False)
    minimum = forms.DecimalField(label=_("Minimum"), required=False, **QUANTITY)  # type: ignore[arg-type]
    reorder_point = forms.DecimalField(label=_("Reorder point"), required=False, **QUANTITY)  # type: ignore[arg-type]
    maximum = forms.DecimalField(label=_("Maximum"), required=False, **QUANTITY)  # type: ignore[arg-type]


class TransferRequestForm(StyledFormMixin, forms.Form):
    quantity = forms.DecimalField(label=_("Quantity"), **QUANTITY)  # type: ignore[arg-type]
    note = forms.CharField(label=_("Note for the other dealer"), max_length=200, required=False)


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ConfirmForm(StyledFormMixin, forms.Form):
    """A step that needs nothing typed: the button is the confirmation."""


class CountRangeForm(StyledFormMixin, forms.Form):
    bin_from = forms.CharField(label=_("First bin"), max_length=20)
    bin_to = forms.CharField(label=_("Last bin"), max_length=20)


class CountEntryForm(forms.Form):
    """One field per line of the count (`line_<id>`), built from the count's lines."""

    def __init__(self, *args: object, lines: list[object], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(  # type: ignore[attr-defined]
                label=str(line.part.number),  # type: ignore[attr-defined]
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                initial=line.counted,  # type: ignore[attr-defined]
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "any"}
                ),
            )

    def counted(self) -> dict[int, object]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_")
        }


COUNTER_ROWS = 8


class CounterSaleForm(StyledFormMixin, forms.Form):
    """A counter sale: who buys (a walk-in's name, or a known customer found by phone) and up
    to COUNTER_ROWS lines of part number, quantity and discount."""

    walk_in_name = forms.CharField(label=_("Walk-in customer"), max_length=120, required=False)
    customer_phone = forms.CharField(
        label=_("Known customer's phone"),
        max_length=30,
        required=False,
        help_text=_("The customer card with exactly this phone number gets the invoice."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for row in range(1, COUNTER_ROWS + 1):
            self.fields[f"number_{row}"] = forms.CharField(
                label=_("Part number"), max_length=40, required=False
            )
            self.fields[f"quantity_{row}"] = forms.DecimalField(
                label=_("Quantity"), required=False, min_value=0, max_digits=12, decimal_places=2
            )
            self.fields[f"discount_{row}"] = forms.DecimalField(
                label=_("Discount %"), required=False, min_value=0, max_value=100,
                max_digits=5, decimal_places=2,
            )  # fmt: skip
        self.restyle()  # the line fields were added after the mixin styled the form

    def rows(self) -> list[tuple[object, object, object]]:
        return [
            (self[f"number_{r}"], self[f"quantity_{r}"], self[f"discount_{r}"])
            for r in range(1, COUNTER_ROWS + 1)
        ]

    def lines(self) -> list[tuple[str, object, object]]:
        data = self.cleaned_data
        return [
            (data[f"number_{r}"], data[f"quantity_{r}"] or 0, data[f"discount_{r}"] or 0)
            for r in range(1, COUNTER_ROWS + 1)
            if data.get(f"number_{r}")
        ]
