"""The one pricing service: prices on a day from HQ's price lists (issue 14, item 2).

Every price a dealer document uses — a quote's vehicle, a repair order's parts and labour, a
parts sale — comes from here, from the published version of the list valid on that day.
The day is the *dealer's* day: callers pass `dealers.clock.dealer_today(dealer)` (or the day a
document is dated), never a date of their own making. Windows are half-open:
valid_from ≤ day < valid_until.

Reads only; the writes (drafts, checks, publishing, the dealer's own labour rates) are in
`bulletins.pricing_services`.

Speed: each lookup is one query that finds the version and its lines together (a join on the
version's window), so a 40-line repair order (parts + labour) is priced in two queries
(bench/prices.py). Only when none of the asked lines is priced is the version looked up on its
own, to say which version was asked.

When several lists of one kind exist, the oldest one (lowest id) is the network's list of that
kind unless the caller names one (`price_list=`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from .models import (
    DealerLabourRate,
    LabourPrice,
    PartGroupDiscount,
    PartPrice,
    PriceList,
    PriceListVersion,
    VehiclePrice,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

VehicleKey = tuple[str, str]  # (kind, code), kind one of VehiclePrice.Kind


def in_force(day: dt.date, prefix: str = "") -> Q:
    """Published and valid on `day` (the version's fields, or through `prefix`, e.g.
    "version__")."""
    return Q(
        **{
            f"{prefix}status": PriceListVersion.Status.PUBLISHED,
            f"{prefix}valid_from__lte": day,
        }
    ) & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": day}))


def _list_filter(kind: str, price_list: PriceList | int | None, prefix: str) -> Q:
    if price_list is not None:
        return Q(**{f"{prefix}price_list": price_list})
    return Q(**{f"{prefix}price_list__kind": kind})


def version_on(
    day: dt.date, *, kind: str, price_list: PriceList | int | None = None
) -> PriceListVersion | None:
    """The published version valid on `day` of the list of `kind` (or of `price_list`)."""
    return (
        PriceListVersion.objects.filter(in_force(day), _list_filter(kind, price_list, ""))
        .select_related("price_list")
        .order_by("price_list_id")
        .first()
    )


def _one_list(rows: list, version_of: str = "version") -> list:
    """Keep the rows of the first list only (when several lists of one kind are in force)."""
    if not rows:
        return rows
    first = min(getattr(r, version_of).price_list_id for r in rows)
    return [r for r in rows if getattr(r, version_of).price_list_id == first]


# --- vehicles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VehiclePrices:
    day: dt.date
    version: PriceListVersion | None
    prices: dict[VehicleKey, Decimal] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.version.price_list.currency if self.version else "EUR"

    def get(self, kind: str, code: str) -> Decimal | None:
        return self.prices.get((str(kind), code))


def vehicle_prices(
    day: dt.date,
    *,
    wanted: Iterable[VehicleKey] | None = None,
    kind: str | None = None,
    price_list: PriceList | int | None = None,
) -> VehiclePrices:
    """Prices of vehicle codes on `day`: the asked (kind, code) pairs, or every line of one
    kind (`kind="trim"`), or the whole version when neither is given. One query (two when
    nothing asked is priced)."""
    rows_q: QuerySet[VehiclePrice] = VehiclePrice.objects.filter(
        in_force(day, "version__"), _list_filter(PriceList.Kind.VEHICLE, price_list, "version__")
    ).select_related("version__price_list")
    if wanted is not None:
        pairs = list(dict.fromkeys((str(k), c) for k, c in wanted))
        if not pairs:
            return VehiclePrices(day, version_on(day, kind="vehicle", price_list=price_list))
        query = Q()
        for k, c in pairs:
            query |= Q(kind=k, code=c)
        rows_q = rows_q.filter(query)
    elif kind is not None:
        rows_q = rows_q.filter(kind=kind)
    rows = _one_list(list(rows_q))
    version = rows[0].version if rows else version_on(day, kind="vehicle", price_list=price_list)
    return VehiclePrices(day, version, {(r.kind, r.code): r.price for r in rows})


# --- parts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartPriceInfo:
    part_id: int
    number: str
    retail: Decimal
    dealer_net: Decimal
    discount_percent: Decimal | None  # the group discount used, None for an explicit net price


@dataclass(frozen=True)
class PartPrices:
    day: dt.date
    version: PriceListVersion | None
    by_number: dict[str, PartPriceInfo] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.version.price_list.currency if self.version else "EUR"

    def get(self, number: str) -> PartPriceInfo | None:
        return self.by_number.get(number)


def net_price(retail: Decimal, explicit: Decimal | None, percent: Decimal | None) -> Decimal:
    """The dealer's net price: HQ's explicit net price, else retail less the group's discount
    (rounded half up to the cent), else retail."""
    if explicit is not None:
        return explicit
    if percent is None:
        return retail
    return (retail * (HUNDRED - percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def part_prices(
    day: dt.date,
    *,
    numbers: Iterable[str],
    resolve_supersessions: bool = False,
    price_list: PriceList | int | None = None,
) -> PartPrices:
    """Retail and dealer net prices of part numbers on `day`, by the number asked. One query
    (the group discount comes in a subquery). With `resolve_supersessions`, each number is
    first resolved to the part in force that day (inventory.selectors.current_parts, two more
    queries) and priced as that part."""
    wanted = list(dict.fromkeys(numbers))
    asked_for: dict[str, list[str]] = {n: [n] for n in wanted}
    if resolve_supersessions and wanted:
        from inventory.selectors import current_parts

        asked_for = {}
        for asked, part in current_parts(wanted, on=day).items():
            asked_for.setdefault(part.number, []).append(asked)
    if not asked_for:
        return PartPrices(day, version_on(day, kind="parts", price_list=price_list))
    discount = PartGroupDiscount.objects.filter(
        version=OuterRef("version"), group=OuterRef("part__group")
    ).values("discount_percent")[:1]
    rows = _one_list(
        list(
            PartPrice.objects.filter(
                in_force(day, "version__"),
                _list_filter(PriceList.Kind.PARTS, price_list, "version__"),
                part__number__in=list(asked_for),
            )
            .select_related("version__price_list")
            .annotate(number=F("part__number"), group_discount=Subquery(discount))
        )
    )
    version = rows[0].version if rows else version_on(day, kind="parts", price_list=price_list)
    out: dict[str, PartPriceInfo] = {}
    for row in rows:
        percent = None if row.dealer_net_price is not None else row.group_discount
        info = PartPriceInfo(
            part_id=row.part_id,
            number=row.number,
            retail=row.retail_price,
            dealer_net=net_price(row.retail_price, row.dealer_net_price, percent),
            discount_percent=percent,
        )
        for asked in asked_for.get(row.number, []):
            out[asked] = info
    return PartPrices(day, version, out)


# --- labour --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabourRateInfo:
    grade_id: int
    recommended: Decimal
    minimum: Decimal
    maximum: Decimal
    dealer_rate: Decimal | None  # the dealer's own rate, as set
    rate: Decimal  # what the dealer charges: its own rate within the bounds, else HQ's

    @property
    def source(self) -> str:
        if self.dealer_rate is None:
            return "recommended"
        return "dealer" if self.dealer_rate == self.rate else "bounded"


@dataclass(frozen=True)
class LabourRates:
    day: dt.date
    version: PriceListVersion | None
    by_grade: dict[int, LabourRateInfo] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.version.price_list.currency if self.version else "EUR"

    def get(self, grade_id: int) -> LabourRateInfo | None:
        return self.by_grade.get(grade_id)


def labour_rates(
    day: dt.date,
    *,
    dealer: object | None = None,
    grade_ids: Iterable[int] | None = None,
    price_list: PriceList | int | None = None,
) -> LabourRates:
    """Hourly rates per labour grade on `day`: HQ's recommendation and bounds, and for a dealer
    its own rate (kept within the bounds of the version in force: a rate set under an older
    version is clamped to the new bounds). One query (the dealer's rate in a subquery, under
    the dealer's tenant scope)."""
    rows_q = LabourPrice.objects.filter(
        in_force(day, "version__"), _list_filter(PriceList.Kind.LABOUR, price_list, "version__")
    ).select_related("version__price_list")
    if grade_ids is not None:
        rows_q = rows_q.filter(grade_id__in=list(grade_ids))
    if dealer is not None:
        dealer_id = getattr(dealer, "pk", dealer)
        own = DealerLabourRate.objects.filter(dealer_id=dealer_id, grade=OuterRef("grade")).values(
            "rate"
        )[:1]
        rows_q = rows_q.annotate(dealer_rate=Subquery(own))
    rows = _one_list(list(rows_q))
    version = rows[0].version if rows else version_on(day, kind="labour", price_list=price_list)
    out: dict[int, LabourRateInfo] = {}
    for row in rows:
        own_rate = getattr(row, "dealer_rate", None)
        rate = (
            row.recommended_rate
            if own_rate is None
            else min(max(own_rate, row.min_rate), row.max_rate)
        )
        out[row.grade_id] = LabourRateInfo(
            grade_id=row.grade_id,
            recommended=row.recommended_rate,
            minimum=row.min_rate,
            maximum=row.max_rate,
            dealer_rate=own_rate,
            rate=rate,
        )
    return LabourRates(day, version, out)


# --- all at once ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PricesOn:
    day: dt.date
    vehicles: VehiclePrices | None
    parts: PartPrices | None
    labour: LabourRates | None


def prices_on(
    day: dt.date,
    *,
    dealer: object | None = None,
    vehicle: Iterable[VehicleKey] = (),
    part_numbers: Iterable[str] = (),
    grade_ids: Iterable[int] = (),
    resolve_supersessions: bool = False,
) -> PricesOn:
    """Everything a document needs priced on `day` (the dealer's day): vehicle codes, part
    numbers, labour grades. One query per kind asked for (a repair order with parts and labour:
    two)."""
    vehicle = list(vehicle)
    part_numbers = list(part_numbers)
    grade_ids = list(grade_ids)
    return PricesOn(
        day=day,
        vehicles=vehicle_prices(day, wanted=vehicle) if vehicle else None,
        parts=(
            part_prices(day, numbers=part_numbers, resolve_supersessions=resolve_supersessions)
            if part_numbers
            else None
        ),
        labour=labour_rates(day, dealer=dealer, grade_ids=grade_ids) if grade_ids else None,
    )
