"""Pricing a quote from HQ's vehicle price list (through bulletins.pricing, the one pricing
service): options, colour, discount, trade-in, financing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from bulletins import pricing as hq_pricing
from bulletins import promotions as hq_promotions
from bulletins.models import PriceListVersion, Promotion, VehiclePrice
from dealers.models import Dealer
from inventory.models import Colour, Option, Trim

from ..models import (
    Quote,
)
from .common import CENT, ZERO, _decimal, money

MAX_TERM_MONTHS = 120
MAX_ANNUAL_RATE = Decimal("30")
# --- quotes: pricing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteSpec:
    """What the consultant configures; prices always come from the price list."""

    trim: Trim
    colour: Colour | None = None
    option_codes: tuple[str, ...] = ()
    accessory_codes: tuple[str, ...] = ()
    discount: Decimal = ZERO
    trade_in_description: str = ""
    trade_in_value: Decimal = ZERO
    payment: str = Quote.Payment.CASH
    down_payment: Decimal = ZERO
    term_months: int | None = None
    annual_rate_percent: Decimal | None = None
    valid_until: dt.date | None = None
    promotion_code: str = ""  # an HQ promotion offered to the dealer on the day ("" for none)


@dataclass(frozen=True)
class PricedLine:
    kind: str
    code: str
    description: str
    price: Decimal


@dataclass(frozen=True)
class Pricing:
    price_version: PriceListVersion  # the version the quote is priced from
    currency: str
    list_price: Decimal
    lines: tuple[PricedLine, ...]
    extras_total: Decimal
    discount: Decimal
    total: Decimal  # after the dealer discount and the promotion
    trade_in_value: Decimal
    amount_due: Decimal  # total less the trade-in
    payment: str
    down_payment: Decimal
    financed_amount: Decimal
    term_months: int | None
    annual_rate_percent: Decimal | None
    monthly_payment: Decimal | None
    approval_threshold: Decimal
    needs_approval: bool
    promotion: Promotion | None = None
    promotion_amount: Decimal = ZERO

    @property
    def subtotal(self) -> Decimal:
        return self.list_price + self.extras_total


def price_version_on(day: dt.date) -> PriceListVersion | None:
    """The HQ vehicle price-list version valid on `day` (the dealer's day)."""
    return hq_pricing.version_on(day, kind="vehicle")


price_list_on = price_version_on  # the former name


def discount_threshold(list_price: Decimal) -> Decimal:
    percent = Decimal(str(getattr(settings, "DMS_DISCOUNT_APPROVAL_PERCENT", 5)))
    return (list_price * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def monthly_payment(
    *, principal: Decimal, annual_rate_percent: Decimal, term_months: int
) -> Decimal:
    """Annuity: P·r / (1 − (1 + r)^−n) with r the monthly rate, in Decimal, rounded to cents
    (half up). A zero rate divides the principal evenly."""
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    if principal <= 0:
        return ZERO.quantize(CENT)
    with localcontext() as ctx:
        ctx.prec = 40
        rate = Decimal(annual_rate_percent) / Decimal(1200)
        if rate == 0:
            payment = Decimal(principal) / Decimal(term_months)
        else:
            payment = (
                Decimal(principal) * rate / (Decimal(1) - (Decimal(1) + rate) ** (-term_months))
            )
        return payment.quantize(CENT, rounding=ROUND_HALF_UP)


def offered_promotion(*, code: str, dealer: Dealer | None, day: dt.date, trim: Trim) -> Promotion:
    """The promotion `code` as offered to `dealer` on its day `day` for `trim`, or a
    ValidationError on "promotion" (unknown, not for this dealer, day or trim, or used up)."""
    code = (code or "").strip().upper()
    found = (
        hq_promotions.promotions_for(dealer=dealer, day=day, trim=trim).filter(code=code).first()
        if dealer is not None and code
        else None
    )
    if found is None:
        raise ValidationError(
            {
                "promotion": _(
                    "The promotion “%(code)s” is not offered for this dealer, day and vehicle "
                    "(unknown, ended, for other dealers or models, or its budget is used up)."
                )
                % {"code": code}
            }
        )
    return found


def price_quote(*, spec: QuoteSpec, on: dt.date, dealer: Dealer | None = None) -> Pricing:
    """Price a configuration from the price list valid on `on`. Raises ValidationError (by field)
    for anything the list does not price or figures that do not add up. A promotion
    (`spec.promotion_code`) must be offered to `dealer` on `on` for the trim; it comes off the
    total after the dealer discount, as much as `promotion_amount` of the trim's list price."""
    wanted: list[tuple[str, str]] = [(VehiclePrice.Kind.TRIM, spec.trim.code)]
    if spec.colour is not None:
        wanted.append((VehiclePrice.Kind.COLOUR, spec.colour.code))
    option_codes = list(dict.fromkeys(spec.option_codes))
    accessory_codes = list(dict.fromkeys(spec.accessory_codes))
    wanted += [(VehiclePrice.Kind.OPTION, c) for c in option_codes]
    wanted += [(VehiclePrice.Kind.ACCESSORY, c) for c in accessory_codes]
    found = hq_pricing.vehicle_prices(on, wanted=wanted)
    price_version = found.version
    if price_version is None:
        raise ValidationError(
            _("No HQ price list is valid on %(day)s: a quote cannot be priced.")
            % {"day": formats.date_format(on)}
        )
    prices = found.prices
    currency = price_version.price_list.currency
    errors: dict[str, list[str]] = {}

    def missing(field_name: str, what: str) -> None:
        errors.setdefault(field_name, []).append(
            _("%(what)s has no price in “%(list)s” (version %(number)s).")
            % {
                "what": what,
                "list": price_version.price_list.name,
                "number": price_version.number,
            }
        )

    trim_price = prices.get((VehiclePrice.Kind.TRIM, spec.trim.code))
    if trim_price is None:
        missing("trim", str(spec.trim))
    lines: list[PricedLine] = []
    if spec.colour is not None:
        colour_price = prices.get((VehiclePrice.Kind.COLOUR, spec.colour.code))
        if colour_price is None:
            missing("colour", spec.colour.name)
        else:
            lines.append(PricedLine("colour", spec.colour.code, spec.colour.name, colour_price))
    names = dict(
        Option.objects.filter(code__in=option_codes + accessory_codes).values_list("code", "name")
    )
    for kind, codes, field_name in (
        (VehiclePrice.Kind.OPTION, option_codes, "options"),
        (VehiclePrice.Kind.ACCESSORY, accessory_codes, "accessories"),
    ):
        for code in codes:
            price = prices.get((kind, code))
            if price is None:
                missing(field_name, names.get(code, code))
            else:
                lines.append(PricedLine(str(kind), code, names.get(code, code), price))
    if errors or trim_price is None:
        raise ValidationError(errors)
    list_price = trim_price
    extras_total = sum((line.price for line in lines), ZERO)
    subtotal = list_price + extras_total
    discount = _decimal(spec.discount, "discount", _("The discount"))
    trade_in = _decimal(spec.trade_in_value, "trade_in_value", _("The trade-in value"))
    down = _decimal(spec.down_payment, "down_payment", _("The down payment"))
    if discount < 0:
        errors["discount"] = [_("The discount cannot be negative.")]
    elif discount > subtotal:
        errors["discount"] = [
            _("The discount cannot exceed the price (%(price)s).")
            % {"price": money(subtotal, currency)}
        ]
    promotion: Promotion | None = None
    promo_off = ZERO
    if spec.promotion_code.strip():
        try:
            promotion = offered_promotion(
                code=spec.promotion_code, dealer=dealer, day=on, trim=spec.trim
            )
        except ValidationError as exc:
            errors["promotion"] = exc.message_dict["promotion"]
        else:
            if not promotion.stacks_with_discount and discount > 0:
                errors["promotion"] = [
                    _(
                        "The promotion “%(name)s” does not combine with a dealer discount: set "
                        "the discount to zero or choose no promotion."
                    )
                    % {"name": promotion.name}
                ]
            elif "discount" not in errors:
                promo_off = min(
                    hq_promotions.promotion_amount(promotion, price=list_price),
                    subtotal - discount,
                )
    total = subtotal - discount - promo_off
    # A discount beyond the price leaves no total to check the trade-in and the down payment
    # against: its own message is the one to give (not "cannot exceed EUR -960,009.00").
    priced = "discount" not in errors
    if trade_in < 0:
        errors["trade_in_value"] = [_("The trade-in value cannot be negative.")]
    elif priced and trade_in > total:
        errors["trade_in_value"] = [
            _("The trade-in value cannot exceed the total (%(total)s).")
            % {"total": money(total, currency)}
        ]
    elif trade_in > 0 and not spec.trade_in_description.strip():
        errors["trade_in_description"] = [
            _("Describe the trade-in vehicle (make, model, year, km).")
        ]
    amount_due = total - trade_in
    payment = spec.payment or Quote.Payment.CASH
    term: int | None = None
    rate: Decimal | None = None
    monthly: Decimal | None = None
    financed = ZERO
    if payment not in Quote.Payment.values:
        errors["payment"] = [_("Choose cash, finance or lease.")]
    elif payment == Quote.Payment.CASH:
        down = ZERO
    else:
        term = spec.term_months
        if term is None or not 1 <= term <= MAX_TERM_MONTHS:
            errors["term_months"] = [
                _("Give a term between 1 and %(max)d months.") % {"max": MAX_TERM_MONTHS}
            ]
        if spec.annual_rate_percent is None:
            errors["annual_rate_percent"] = [_("Give the annual interest rate (0 for none).")]
        else:
            rate = _decimal(spec.annual_rate_percent, "annual_rate_percent", _("The annual rate"))
            if not ZERO <= rate <= MAX_ANNUAL_RATE:
                errors["annual_rate_percent"] = [
                    _("The annual rate must be between 0 and %(max)s %%.")
                    % {"max": MAX_ANNUAL_RATE}
                ]
        if down < 0:
            errors["down_payment"] = [_("The down payment cannot be negative.")]
        elif priced and down > amount_due and "trade_in_value" not in errors:
            errors["down_payment"] = [
                _("The down payment cannot exceed the amount due (%(due)s).")
                % {"due": money(amount_due, currency)}
            ]
    if errors:
        raise ValidationError(errors)
    if payment != Quote.Payment.CASH and term is not None and rate is not None:
        financed = amount_due - down
        monthly = monthly_payment(principal=financed, annual_rate_percent=rate, term_months=term)
    threshold = discount_threshold(list_price)
    return Pricing(
        price_version=price_version,
        currency=currency,
        list_price=list_price,
        lines=tuple(lines),
        extras_total=extras_total,
        discount=discount,
        total=total,
        trade_in_value=trade_in,
        amount_due=amount_due,
        payment=payment,
        down_payment=down,
        financed_amount=financed,
        term_months=term,
        annual_rate_percent=rate,
        monthly_payment=monthly,
        approval_threshold=threshold,
        needs_approval=discount > threshold,
        promotion=promotion,
        promotion_amount=promo_off,
    )
