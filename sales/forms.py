"""Forms of the showroom pages. They parse input; the rules live in sales.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bulletins.models import PriceListVersion, Promotion, VehiclePrice
from bulletins.promotions import promotions_for
from dealers.models import Dealer
from dms.addresses import country_name
from dms.ui.forms import validate_form_day
from inventory.models import Colour, Option, Trim, VehicleModel

from . import services
from .licences import LICENCE_FORMATS
from .models import Payment, Quote
from .services import FEEDBACK_MAX, Pricing, QuoteSpec, checklist_items, money

# An odometer reading a person could type (beyond it the database's integer overflowed).
MAX_KM = 2_000_000

DURATIONS = [
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("1 hour")),
    (90, _("1½ hours")),
    (120, _("2 hours")),
    (180, _("3 hours")),
    (240, _("4 hours")),
    (480, _("a working day")),
]
OUTCOME_SUGGESTIONS = [
    _("Convinced: wants a quote"),
    _("Interested: needs time"),
    _("Wants to compare with another model"),
    _("Not convinced"),
]


def _choices(field: forms.Field, choices: list[Any]) -> None:
    cast(forms.ChoiceField, field).choices = choices


class ServiceErrorsMixin:
    """Put a service's ValidationError onto the form: by field where the field exists."""

    def apply_errors(self, error: ValidationError) -> None:
        form: Any = self
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = name if name in form.fields else None
                for err in errors:
                    form.add_error(target, err)
        else:
            for message in error.messages:
                form.add_error(None, message)


class BootstrapMixin:
    def _style(self) -> None:
        form: Any = self
        for field in form.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
            ):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class SalesForm(ServiceErrorsMixin, BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def full_clean(self) -> None:
        super().full_clean()
        self.restyle()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.restyle()

    def restyle(self) -> None:
        """A field with an error is drawn red (Bootstrap's is-invalid), the others not."""
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            classes = [c for c in field.widget.attrs.get("class", "").split() if c != "is-invalid"]
            if name in errors:
                classes.append("is-invalid")
            field.widget.attrs["class"] = " ".join(classes)


# --- demo vehicles -------------------------------------------------------------------------------


class DemoVehicleForm(SalesForm):
    vehicle_model = forms.ModelChoiceField(
        label=_("Model"), queryset=VehicleModel.objects.filter(is_active=True)
    )
    trim = forms.ModelChoiceField(
        label=_("Trim"), queryset=Trim.objects.select_related("vehicle_model"), required=False
    )
    vin = forms.CharField(label=_("VIN"), max_length=25)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    odometer_km = forms.IntegerField(
        label=_("Odometer (km)"), min_value=0, max_value=MAX_KM, initial=0
    )


# --- test drives ---------------------------------------------------------------------------------


class BookingForm(SalesForm):
    # The queryset is the dealer's fleet, set per request (scoped: none at import time).
    vehicle: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Demo vehicle"),
        queryset=None,  # type: ignore[arg-type]
    )
    day = forms.DateField(
        validators=[validate_form_day],
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start_time = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time", "step": 900})
    )
    duration = forms.TypedChoiceField(
        label=_("Duration"), choices=DURATIONS, coerce=int, initial=60
    )

    def __init__(
        self, *args: Any, vehicles: Any, tz: dt.tzinfo, planner_url: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        if planner_url:  # htmx: picking another date reloads the day plan next to the form
            self.fields["day"].widget.attrs.update(
                {
                    "hx-get": planner_url,
                    "hx-trigger": "change",
                    "hx-target": "#day-plan",
                    "hx-swap": "innerHTML",
                }
            )
        vehicle_field: Any = self.fields["vehicle"]
        vehicle_field.queryset = vehicles
        vehicle_field.label_from_instance = lambda v: f"{v.vehicle_model.name} · {v.plate or v.vin}"

    def apply_errors(self, error: ValidationError) -> None:
        """The service speaks of starts_at/ends_at; show its message on the field to change."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for err in errors:
                    if name == "starts_at":
                        target = "day" if err.code == "too_far_ahead" else "start_time"
                    else:
                        target = "duration" if name == "ends_at" else name
                    self.add_error(target if target in self.fields else None, err)
            return
        super().apply_errors(error)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("day") and data.get("start_time") and data.get("duration"):
            starts = dt.datetime.combine(data["day"], data["start_time"], tzinfo=self.tz)
            data["starts_at"] = starts
            data["ends_at"] = starts + dt.timedelta(minutes=data["duration"])
        return data


class CheckOutForm(SalesForm):
    licence_number = forms.CharField(
        label=_("Driving licence number"), max_length=40, required=False
    )
    licence_checked = forms.BooleanField(
        label=_("I have seen the driving licence: valid, and it is the customer's"), required=False
    )
    consent = forms.BooleanField(
        label=_("The customer signed the test-drive consent"), required=False
    )
    walk_around = forms.BooleanField(label=_("Six-point walk-around presented"), required=False)
    km_out = forms.IntegerField(label=_("km out"), min_value=0, max_value=MAX_KM, required=False)

    def __init__(self, *args: Any, country: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = LICENCE_FORMATS.get(country.upper())
        if known is not None:  # say the form the number is checked against
            self.fields["licence_number"].help_text = _(
                "A licence from %(country)s, e.g. %(example)s."
            ) % {"country": country_name(country), "example": known.example}


class CheckInForm(SalesForm):
    km_in = forms.IntegerField(label=_("km in"), min_value=0, max_value=MAX_KM, required=False)
    outcome = forms.CharField(label=_("Outcome"), max_length=200, required=False)
    feedback = forms.CharField(
        label=_("Customer's feedback"),
        max_length=FEEDBACK_MAX,  # also the textarea's maxlength
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["list"] = "outcome-suggestions"


# --- quotes --------------------------------------------------------------------------------------


def _version_prices(price_version: PriceListVersion | None) -> dict[str, dict[str, Any]]:
    """kind → code → price of every line of the version (one query)."""
    prices: dict[str, dict[str, Any]] = {}
    if price_version is None:
        return prices
    for kind, code, price in VehiclePrice.objects.filter(version=price_version).values_list(
        "kind", "code", "price"
    ):
        prices.setdefault(kind, {})[code] = price
    return prices


class PromotionChoiceField(forms.ChoiceField):
    """The offered promotions as a select; any short code passes to the pricing, whose message
    says why a promotion is not offered (rather than "not one of the available choices").
    A code is printable text: a control character (a NUL would break the lookup) is refused."""

    def valid_value(self, value: str) -> bool:
        return len(value) <= 20 and value.isprintable()


class QuoteForm(SalesForm):
    trim = forms.ChoiceField(label=_("Model and trim"))
    colour = forms.ChoiceField(label=_("Colour"), required=False)
    options = forms.MultipleChoiceField(
        label=_("Factory options"), required=False, widget=forms.CheckboxSelectMultiple
    )
    accessories = forms.MultipleChoiceField(
        label=_("Accessories"), required=False, widget=forms.CheckboxSelectMultiple
    )
    discount = forms.DecimalField(
        label=_("Discount"), min_value=Decimal(0), decimal_places=2, max_digits=12, initial=0
    )
    promotion = PromotionChoiceField(
        label=_("HQ promotion"),
        required=False,
        help_text=_("The promotions HQ offers this dealer today."),
    )
    trade_in_description = forms.CharField(
        label=_("Trade-in vehicle"),
        max_length=200,
        required=False,
        help_text=_("Make, model, year, km — leave empty if there is none."),
    )
    trade_in_value = forms.DecimalField(
        label=_("Trade-in value"), min_value=Decimal(0), decimal_places=2, max_digits=12, initial=0
    )
    payment = forms.ChoiceField(
        label=_("Payment"),
        choices=Quote.Payment.choices,
        widget=forms.RadioSelect,
        initial=Quote.Payment.CASH,
    )
    down_payment = forms.DecimalField(
        label=_("Down payment"),
        min_value=Decimal(0),
        decimal_places=2,
        max_digits=12,
        required=False,
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"), min_value=1, max_value=120, required=False
    )
    annual_rate_percent = forms.DecimalField(
        label=_("Annual rate (%)"),
        min_value=Decimal(0),
        max_value=Decimal(30),
        decimal_places=2,
        max_digits=5,
        required=False,
    )
    valid_until = forms.DateField(
        validators=[validate_form_day],
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self,
        *args: Any,
        price_version: PriceListVersion | None,
        on: dt.date | None = None,
        dealer: Dealer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.price_version = price_version
        self.dealer = dealer
        self.on = on  # the day the quote is priced (the dealer's today): prices are checked then
        currency = price_version.price_list.currency if price_version else "EUR"
        version_prices = _version_prices(price_version)
        trim_prices = version_prices.get(VehiclePrice.Kind.TRIM, {})
        groups: dict[str, list[tuple[str, str]]] = {}
        for trim in (
            Trim.objects.filter(code__in=trim_prices)
            .select_related("vehicle_model")
            .order_by("vehicle_model__code", "code")
        ):
            groups.setdefault(trim.vehicle_model.name, []).append(
                (
                    trim.code,
                    f"{trim.vehicle_model.name} {trim.name} — {money(trim_prices[trim.code], currency)}",
                )
            )
        _choices(self.fields["trim"], [("", "—"), *groups.items()])
        colour_prices = version_prices.get(VehiclePrice.Kind.COLOUR, {})
        no_extra_cost = _("no extra cost")  # outside the f-string, where makemessages sees it
        _choices(
            self.fields["colour"],
            [("", _("Not chosen yet"))]
            + [
                (
                    c.code,
                    f"{c.name} — {money(colour_prices[c.code], currency)}"
                    if colour_prices[c.code]
                    else f"{c.name} — {no_extra_cost}",
                )
                for c in Colour.objects.filter(code__in=colour_prices)
            ],
        )
        for name, kind in (
            ("options", VehiclePrice.Kind.OPTION),
            ("accessories", VehiclePrice.Kind.ACCESSORY),
        ):
            prices = version_prices.get(kind, {})
            _choices(
                self.fields[name],
                [
                    (o.code, f"{o.name} — {money(prices[o.code], currency)}")
                    for o in Option.objects.filter(code__in=prices)
                ],
            )
        _choices(self.fields["promotion"], self._promotion_choices())
        for name in ("discount", "trade_in_value", "down_payment", "annual_rate_percent"):
            self.fields[name].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})

    def _promotion_choices(self) -> list[tuple[str, str]]:
        """ "None" first, then the promotions offered to the dealer on the day. A code no longer
        offered (ended, used up meanwhile) is not refused here but by the pricing, which says
        why."""
        offered: list[Promotion] = []
        if self.dealer is not None and self.on is not None:
            offered = list(promotions_for(dealer=self.dealer, day=self.on))
        return [("", str(_("None")))] + [(p.code, promotion_label(p)) for p in offered]

    @classmethod
    def initial_from(cls, quote: Quote) -> dict[str, Any]:
        lines = list(quote.lines.all())
        return {
            "trim": quote.trim.code,
            "colour": quote.colour.code if quote.colour_id and quote.colour else "",
            "options": [line.code for line in lines if line.kind == "option"],
            "accessories": [line.code for line in lines if line.kind == "accessory"],
            "discount": quote.discount,
            "promotion": quote.promotion.code if quote.promotion_id and quote.promotion else "",
            "trade_in_description": quote.trade_in_description,
            "trade_in_value": quote.trade_in_value,
            "payment": quote.payment,
            "down_payment": quote.down_payment or None,
            "term_months": quote.term_months,
            "annual_rate_percent": quote.annual_rate_percent,
            "valid_until": quote.valid_until,
        }

    def clean(self) -> dict[str, Any]:
        """The form's own checks and the pricing's (sales.services.check_quote) together, so the
        consultant sees every problem at once: a field the form already refused is priced with
        its neutral value and keeps its own message only."""
        data = super().clean() or {}
        if self.on is None or not data.get("trim"):
            return data
        try:
            services.check_quote(spec=self.spec(), on=self.on, dealer=self.dealer)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                target = name if name in self.fields else None
                if target is not None and target in self.errors:
                    continue  # its own message says what to change first
                for message in messages:
                    self.add_error(target, message)
        return data

    def summary(self) -> tuple[Pricing | None, Pricing | None]:
        """What the summary card shows: (the quote's pricing, None) when everything adds up;
        (None, the vehicle's price alone) when some figure is refused (the fields say which);
        (None, None) while no trim is chosen. Never raises."""
        data = getattr(self, "cleaned_data", None)
        if data is None or self.on is None or not data.get("trim"):
            return None, None
        if not self.errors:
            try:
                return (
                    services.check_quote(spec=self.spec(), on=self.on, dealer=self.dealer),
                    None,
                )
            except ValidationError:
                pass
        spec = self.spec()
        vehicle_only = QuoteSpec(
            trim=spec.trim,
            colour=spec.colour,
            option_codes=spec.option_codes,
            accessory_codes=spec.accessory_codes,
        )
        try:
            return None, services.price_quote(spec=vehicle_only, on=self.on)
        except ValidationError:
            return None, None

    def spec(self) -> QuoteSpec:
        data = self.cleaned_data
        trim = Trim.objects.select_related("vehicle_model").get(code=data["trim"])
        colour = Colour.objects.filter(code=data["colour"]).first() if data.get("colour") else None
        return QuoteSpec(
            trim=trim,
            colour=colour,
            option_codes=tuple(data.get("options") or ()),
            accessory_codes=tuple(data.get("accessories") or ()),
            discount=data.get("discount") or Decimal(0),
            trade_in_description=data.get("trade_in_description") or "",
            trade_in_value=data.get("trade_in_value") or Decimal(0),
            payment=data.get("payment") or Quote.Payment.CASH,
            down_payment=data.get("down_payment") or Decimal(0),
            term_months=data.get("term_months"),
            annual_rate_percent=data.get("annual_rate_percent"),
            valid_until=data.get("valid_until"),
            promotion_code=data.get("promotion") or "",
        )


def promotion_label(promotion: Promotion) -> str:
    """name — amount or %, valid until … (the select's and the quote's wording)."""
    from django.utils import formats

    off = (
        f"{promotion.value.normalize():f} %"
        if promotion.kind == Promotion.Kind.PERCENT
        else money(promotion.value, promotion.currency)
    )
    return str(
        _("%(name)s — %(off)s off, until %(day)s")
        % {"name": promotion.name, "off": off, "day": formats.date_format(promotion.valid_to)}
    )


class DiscountDecisionForm(SalesForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


# --- orders --------------------------------------------------------------------------------------


class OrderForm(SalesForm):
    deposit_required = forms.DecimalField(
        label=_("Deposit required"), min_value=Decimal(0), decimal_places=2, max_digits=12
    )
    deposit_paid = forms.DecimalField(
        label=_("Deposit paid now"),
        min_value=Decimal(0),
        decimal_places=2,
        max_digits=12,
        required=False,
        help_text=_("Leave empty if the customer pays the deposit later."),
    )
    expected_delivery = forms.DateField(
        validators=[validate_form_day],
        label=_("Expected delivery"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    vin = forms.CharField(
        label=_("VIN"),
        max_length=25,
        required=False,
        help_text=_("If the vehicle is already known."),
    )


class PaymentForm(SalesForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Payment.Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), decimal_places=2, max_digits=12
    )


class OrderDetailsForm(SalesForm):
    expected_delivery = forms.DateField(
        validators=[validate_form_day],
        label=_("Expected delivery"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    vin = forms.CharField(label=_("VIN"), max_length=25, required=False)


class ChecklistForm(SalesForm):
    done = forms.MultipleChoiceField(
        label=_("Pre-delivery checklist"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["done"], checklist_items())
