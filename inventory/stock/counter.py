"""Counter sales (issue 15, item 5): parts sold over the counter to a walk-in or a known customer,
priced from HQ's parts price list of the dealer's day (retail, less the clerk's discount), issued
from stock (supersession-aware: older numbers' stock first) and invoiced as a PDF.

All lines or nothing: a line the store cannot serve, an unknown number or a part without a price
refuses the whole sale, naming the line, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from dealers.clock import dealer_today
from dealers.models import Dealer
from sales.numbering import next_number

from ..models import Part
from . import services
from .models import CounterSale, CounterSaleLine
from .services import StockRefused

NUMBER_SERIES = "counter_sale"
MAX_LINES = 50
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SaleLine:
    number: str
    quantity: Any
    discount_percent: Any = Decimal(0)


def _discount(raw: Any, row: int) -> Decimal:
    try:
        value = Decimal(str(raw or 0))
    except InvalidOperation as exc:
        raise StockRefused(
            _("Line %(row)s: enter the discount as a number.") % {"row": row}
        ) from exc
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(CENT):
        raise StockRefused(
            _("Line %(row)s: a discount is between 0 and 100 %% with at most two decimals.")
            % {"row": row}
        )
    return value


@transaction.atomic
def sell(
    *,
    dealer: Dealer,
    lines: Sequence[SaleLine],
    actor: Any,
    customer: Any = None,
    walk_in_name: str = "",
    on: dt.date | None = None,
) -> CounterSale:
    from bulletins.pricing import part_prices

    wanted = [line for line in lines if line.number.strip()]
    if not wanted:
        raise StockRefused(_("Add at least one part."))
    if len(wanted) > MAX_LINES:
        raise StockRefused(_("A counter sale has at most %(n)s lines.") % {"n": MAX_LINES})
    day = on or dealer_today(dealer)
    numbers = [line.number.strip() for line in wanted]
    parts = {
        p.number.upper(): p
        for p in Part.objects.annotate(upper=Upper("number")).filter(
            upper__in={n.upper() for n in numbers}
        )
    }
    prices = part_prices(
        day, numbers=[p.number for p in parts.values()], resolve_supersessions=True
    )
    sale = CounterSale.objects.create(
        dealer=dealer,
        number=next_number(dealer_id=dealer.pk, kind=NUMBER_SERIES),
        customer=customer,
        walk_in_name="" if customer else " ".join(walk_in_name.split())[:120],
        sold_by=actor,
        currency=prices.currency,
    )
    total = Decimal(0)
    for row, (line, number) in enumerate(zip(wanted, numbers, strict=True), start=1):
        part = parts.get(number.upper())
        if part is None:
            raise StockRefused(
                _("Line %(row)s: no part has the number %(number)s.")
                % {"row": row, "number": number}
            )
        price = prices.get(part.number)
        if price is None:
            raise StockRefused(
                _("Line %(row)s: %(number)s has no retail price on %(day)s.")
                % {"row": row, "number": part.number, "day": day.isoformat()}
            )
        discount = _discount(line.discount_percent, row)
        try:
            movements = services.issue(
                dealer_id=dealer.pk, part=part, quantity=line.quantity,
                reference=_("Counter sale %(number)s") % {"number": sale.number},
                actor=actor, on=day,
            )  # fmt: skip
        except StockRefused as error:
            raise StockRefused(
                _("Line %(row)s: %(reason)s") % {"row": row, "reason": " ".join(error.messages)}
            ) from error
        quantity = -sum((m.quantity for m in movements), Decimal(0))
        amount = (quantity * price.retail * (100 - discount) / 100).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        CounterSaleLine.objects.create(
            dealer=dealer, sale=sale, part_id=price.part_id, quantity=quantity,
            unit_price=price.retail, discount_percent=discount, line_total=amount,
        )  # fmt: skip
        total += amount
    sale.total_net = total
    sale.save(update_fields=["total_net"])
    return sale
