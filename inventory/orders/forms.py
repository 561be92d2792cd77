"""Forms of the parts-order pages. They carry what was typed; the rules (known part numbers,
quantities in the part's unit, backorder dates, warehouse stock) are the services', whose
ValidationErrors land on these forms (StyledFormMixin.apply_errors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Region
from dms.ui.forms import DateInput, StyledFormMixin, validate_form_day

from .models import PartsOrder, PartsOrderLine, PartsShipment


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


class OrderForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=PartsOrder.Kind.choices, initial=PartsOrder.Kind.STOCK
    )
    vehicle_reference = forms.CharField(
        label=_("Vehicle off road (VIN or repair order)"),
        max_length=40,
        required=False,
        help_text=_("Needed for an urgent order."),
    )
    note = forms.CharField(label=_("Note to the importer"), max_length=200, required=False)


class AddLineForm(StyledFormMixin, forms.Form):
    part_number = forms.CharField(label=_("Part number"), max_length=40)
    quantity = forms.CharField(label=_("Quantity"), max_length=12, initial="1")


class LineQuantityForm(StyledFormMixin, forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=12)


class ReceiveForm(StyledFormMixin, forms.Form):
    """One field per shipment line: what arrived (prefilled with what was shipped)."""

    def __init__(self, *args: Any, shipment: PartsShipment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shipment_lines = list(shipment.lines.all())
        for line in self.shipment_lines:
            self.fields[f"received_{line.pk}"] = forms.CharField(
                label=line.part.number, max_length=12, initial=_qty(line.quantity)
            )
        self.restyle()

    def rows(self) -> list[tuple[Any, Any]]:
        return [(line, self[f"received_{line.pk}"]) for line in self.shipment_lines]

    def received(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data[f"received_{line.pk}"] for line in self.shipment_lines}


class ConfirmForm(StyledFormMixin, forms.Form):
    """HQ: per open line, what to confirm now and when the rest is expected."""

    def __init__(
        self,
        *args: Any,
        lines: list[PartsOrderLine],
        warehouse: dict[int, Decimal],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.open_lines = [line for line in lines if line.open_at_hq > 0]
        for line in self.open_lines:
            part_id = line.supplied_part_id or line.part_id
            can = min(line.open_at_hq, warehouse.get(part_id, Decimal(0)))
            self.fields[f"confirm_{line.pk}"] = forms.CharField(
                label=_("Confirm"), max_length=12, initial=_qty(can), required=False
            )
            self.fields[f"expected_{line.pk}"] = forms.DateField(
                label=_("Backorder expected"),
                required=False,
                widget=DateInput(),
                validators=[validate_form_day],
                initial=line.backorder_expected,
            )
        self.restyle()

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (line, self[f"confirm_{line.pk}"], self[f"expected_{line.pk}"])
            for line in self.open_lines
        ]

    def decisions(self) -> list[Any]:
        from .services import LineDecision

        return [
            LineDecision(
                line.pk,
                self.cleaned_data[f"confirm_{line.pk}"] or "0",
                self.cleaned_data[f"expected_{line.pk}"],
            )
            for line in self.open_lines
        ]


class ShipForm(StyledFormMixin, forms.Form):
    carrier_reference = forms.CharField(label=_("Carrier reference"), max_length=60, required=False)

    def __init__(self, *args: Any, lines: list[PartsOrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ship_lines = [line for line in lines if line.to_ship > 0]
        for line in self.ship_lines:
            self.fields[f"ship_{line.pk}"] = forms.CharField(
                label=_("Ship"), max_length=12, initial=_qty(line.to_ship), required=False
            )
        self.restyle()

    def rows(self) -> list[tuple[Any, Any]]:
        return [(line, self[f"ship_{line.pk}"]) for line in self.ship_lines]

    def quantities(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data[f"ship_{line.pk}"] or "0" for line in self.ship_lines}


OPEN_STATE_CHOICES = [
    ("", _("Any open state")),
    *[
        (value, label)
        for value, label in PartsOrder.State.choices
        if value in ("sent", "confirmed", "backordered", "shipped")
    ],
]


class NetworkFilterForm(StyledFormMixin, forms.Form):
    """HQ's open-orders list: by dealer, region, kind and state (GET)."""

    dealer = forms.ModelChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.order_by("code"), required=False
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *PartsOrder.Kind.choices], required=False
    )
    state = forms.ChoiceField(label=_("State"), choices=OPEN_STATE_CHOICES, required=False)


DEALER_STATE_CHOICES = [("", _("Any state")), *PartsOrder.State.choices]


class DealerFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *PartsOrder.Kind.choices], required=False
    )
    state = forms.ChoiceField(label=_("State"), choices=DEALER_STATE_CHOICES, required=False)
