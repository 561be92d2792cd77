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
own, to say which version was asked. The lookups are hand-written SQL run through Django's
cursor (tuples, no queryset compiled and no model per line): building the ORM queries cost
more than running them (a 40-line order: ~5 ms in Python against ~0.8 ms of SQL). The cursor
still goes through the tenancy execute wrapper, so row-level security applies as everywhere.

When several lists of one kind exist, the oldest one (lowest id) is the network's list of that
kind unless the caller names one (`price_list=`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

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


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_PART = _table(PartPrice._meta.get_field("part").related_model)
_VERSION = _table(PriceListVersion)
_LIST = _table(PriceList)
_PUBLISHED = PriceListVersion.Status.PUBLISHED.value

# The version's own columns, read with each line (tuples: no model per line), and the lines in
# force on a day: published, valid_from ≤ day < valid_until, of the list named or of the kind.
_VERSION_SELECT = (
    "v.id, v.number, v.valid_from, v.valid_until, v.price_list_id, l.name, l.kind, l.currency"
)
_NV = 8
_IN_FORCE = (
    f"JOIN {_VERSION} v ON v.id = x.version_id "
    f"JOIN {_LIST} l ON l.id = v.price_list_id "
    f"WHERE v.status = '{_PUBLISHED}' AND v.valid_from <= %s "
    "AND (v.valid_until IS NULL OR v.valid_until > %s) AND "
)


def _in_force_sql(
    day: dt.date, kind: str, price_list: PriceList | int | None
) -> tuple[str, list[Any]]:
    """The FROM … WHERE tail that keeps the lines (table alias `x`) in force on `day`."""
    if price_list is not None:
        return _IN_FORCE + "v.price_list_id = %s", [day, day, getattr(price_list, "pk", price_list)]
    return _IN_FORCE + "l.kind = %s", [day, day, str(kind)]


def _lines(sql: str, params: list[Any]) -> tuple[PriceListVersion | None, list[tuple[Any, ...]]]:
    """Run one query for the lines in force (their version's columns first) and keep the lines
    of the first list when several lists of the kind are in force. Returns the version (built
    from the first row, no further query) and the lines' own columns."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None, []
    first = min(rows, key=lambda r: r[4])
    version = PriceListVersion(
        id=first[0],
        number=first[1],
        valid_from=first[2],
        valid_until=first[3],
        price_list_id=first[4],
        status=PriceListVersion.Status.PUBLISHED,
    )
    version.price_list = PriceList(id=first[4], name=first[5], kind=first[6], currency=first[7])
    return version, [r[_NV:] for r in rows if r[4] == first[4]]


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
    where, params = _in_force_sql(day, PriceList.Kind.VEHICLE, price_list)
    asked: set[VehicleKey] | None = None
    if wanted is not None:
        asked = {(str(k), c) for k, c in wanted}
        if not asked:
            return VehiclePrices(day, version_on(day, kind="vehicle", price_list=price_list))
        # code = ANY(...) plans in well under a millisecond; an OR of 40 (kind, code) pairs took
        # 10 ms to plan. The pairs are matched here.
        where += " AND x.code = ANY(%s) AND x.kind = ANY(%s)"
        params += [sorted({c for _k, c in asked}), sorted({k for k, _c in asked})]
    elif kind is not None:
        where += " AND x.kind = %s"
        params.append(str(kind))
    version, rows = _lines(
        f"SELECT {_VERSION_SELECT}, x.kind, x.code, x.price "  # noqa: S608 - names from the models
        f"FROM {_table(VehiclePrice)} x {where}",
        params,
    )
    prices = {(k, c): p for k, c, p in rows if asked is None or (k, c) in asked}
    if version is None:
        version = version_on(day, kind="vehicle", price_list=price_list)
    return VehiclePrices(day, version, prices)


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
    (the group discount comes in a join). With `resolve_supersessions`, each number is
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
    where, params = _in_force_sql(day, PriceList.Kind.PARTS, price_list)
    version, rows = _lines(
        f"SELECT {_VERSION_SELECT}, x.part_id, p.number, x.retail_price, "  # noqa: S608 - as above
        "x.dealer_net_price, "
        f"d.discount_percent FROM {_table(PartPrice)} x "
        f"JOIN {_PART} p ON p.id = x.part_id "
        f"LEFT JOIN {_table(PartGroupDiscount)} d "
        "ON d.version_id = x.version_id AND d.group_id = p.group_id "  # one per (version, group)
        f"{where} AND p.number = ANY(%s)",
        [*params, list(asked_for)],
    )
    if version is None:
        version = version_on(day, kind="parts", price_list=price_list)
    out: dict[str, PartPriceInfo] = {}
    for part_id, number, retail, explicit, group_discount in rows:
        percent = None if explicit is not None else group_discount
        info = PartPriceInfo(
            part_id=part_id,
            number=number,
            retail=retail,
            dealer_net=net_price(retail, explicit, percent),
            discount_percent=percent,
        )
        for asked in asked_for.get(number, []):
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
    version is clamped to the new bounds). One query (the dealer's rate joined, under
    the dealer's tenant scope)."""
    where, params = _in_force_sql(day, PriceList.Kind.LABOUR, price_list)
    if grade_ids is not None:
        where += " AND x.grade_id = ANY(%s)"
        params.append(sorted({int(g) for g in grade_ids}))
    own_column, own_join, own_params = "", "", []
    if dealer is not None:
        # The dealer's own rate is tenant data: wall 1 as for any tenant query (raises without
        # a tenant scope), wall 2 (RLS on the table) in the database.
        DealerLabourRate.objects.all()
        own_column = ", r.rate"
        own_join = (
            f"LEFT JOIN {_table(DealerLabourRate)} r "  # one per (dealer, grade)
            "ON r.dealer_id = %s AND r.grade_id = x.grade_id "
        )
        dealer_id: Any = getattr(dealer, "pk", dealer)
        own_params = [int(dealer_id)]
    version, rows = _lines(
        f"SELECT {_VERSION_SELECT}, x.grade_id, x.recommended_rate, x.min_rate, "  # noqa: S608
        "x.max_rate"
        f"{own_column} FROM {_table(LabourPrice)} x {own_join}{where}",
        [*own_params, *params],
    )
    if version is None:
        version = version_on(day, kind="labour", price_list=price_list)
    out: dict[int, LabourRateInfo] = {}
    for grade_id, recommended, minimum, maximum, *own_rate in rows:
        mine = own_rate[0] if own_rate else None
        rate = recommended if mine is None else min(max(mine, minimum), maximum)
        out[grade_id] = LabourRateInfo(
            grade_id=grade_id,
            recommended=recommended,
            minimum=minimum,
            maximum=maximum,
            dealer_rate=mine,
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


# --- lines of a version and differences between versions ---------------------------------------

LineKey = tuple[str, ...]


def version_lines(version: PriceListVersion) -> dict[LineKey, tuple[Decimal | None, ...]]:
    """Every line of a version, keyed as the import keys its rows: ("trim", code) … for
    vehicles, ("part", number) and ("group", code) for parts, ("grade", code) for labour."""
    lines: dict[LineKey, tuple[Decimal | None, ...]] = {}
    kind = version.price_list.kind
    if kind == PriceList.Kind.VEHICLE:
        for k, code, price in VehiclePrice.objects.filter(version=version).values_list(
            "kind", "code", "price"
        ):
            lines[(k, code)] = (price,)
    elif kind == PriceList.Kind.PARTS:
        for number, retail, net in PartPrice.objects.filter(version=version).values_list(
            "part__number", "retail_price", "dealer_net_price"
        ):
            lines[("part", number)] = (retail, net)
        for code, pct in PartGroupDiscount.objects.filter(version=version).values_list(
            "group__code", "discount_percent"
        ):
            lines[("group", code)] = (pct,)
    else:
        for code, rec, lo, hi in LabourPrice.objects.filter(version=version).values_list(
            "grade__code", "recommended_rate", "min_rate", "max_rate"
        ):
            lines[("grade", code)] = (rec, lo, hi)
    return lines


@dataclass(frozen=True)
class Diff:
    new: list[tuple[LineKey, tuple[Decimal | None, ...]]]
    changed: list[tuple[LineKey, tuple[Decimal | None, ...], tuple[Decimal | None, ...]]]
    removed: list[tuple[LineKey, tuple[Decimal | None, ...]]]
    unchanged: int = 0


def diff_lines(
    old: dict[LineKey, tuple[Decimal | None, ...]], new: dict[LineKey, tuple[Decimal | None, ...]]
) -> Diff:
    """New lines, changed lines (old → new) and removed lines, each sorted by key."""
    return Diff(
        new=sorted((k, v) for k, v in new.items() if k not in old),
        changed=sorted((k, old[k], v) for k, v in new.items() if k in old and old[k] != v),
        removed=sorted((k, v) for k, v in old.items() if k not in new),
        unchanged=sum(1 for k, v in new.items() if old.get(k) == v),
    )


def previous_version(version: PriceListVersion) -> PriceListVersion | None:
    """What a version replaces: the published version in force the day before it starts (when
    published or dated), else the latest published version of its list."""
    published = PriceListVersion.objects.filter(
        price_list_id=version.price_list_id, status=PriceListVersion.Status.PUBLISHED
    ).exclude(pk=version.pk)
    if version.valid_from is not None:
        before = published.filter(valid_from__lt=version.valid_from).order_by("-valid_from").first()
        if before is not None or version.is_published:
            return before
    return published.order_by("-valid_from", "-number").first()
