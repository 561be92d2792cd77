"""Small parts catalogues and stocked dealers for the parts-stock tests (issue 15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dms.tenancy.context import as_dealer
from inventory.models import Part, PartGroup, PartSupersession
from inventory.stock import services


def group() -> PartGroup:
    return PartGroup.objects.get_or_create(code="FLT", defaults={"name": "Filters"})[0]


def part(number: str, unit: str = Part.Unit.PIECE, description: str = "") -> Part:
    return Part.objects.create(
        number=number, description=description or f"Part {number}", group=group(), unit=unit
    )


def supersede(old: Part, new: Part, valid_from: dt.date = dt.date(2020, 1, 1)) -> None:
    PartSupersession.objects.create(part=old, replaced_by=new, valid_from=valid_from)


def stock(
    dealer: Any, item: Part, quantity: str | int, cost: str = "10.00", actor: Any = None
) -> None:
    """Receive `quantity` of `item` at `dealer` (in its own scope)."""
    with as_dealer(dealer):
        services.receive(
            dealer_id=dealer.pk, part=item, quantity=quantity, unit_cost=Decimal(cost),
            reference="opening stock", actor=actor,
        )  # fmt: skip
