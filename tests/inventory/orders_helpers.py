"""Pieces shared by the parts-order tests (issue 15, items 6 and 7): a dealer with a parts
clerk, HQ logistics, a small catalogue with warehouse stock and a parts price list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bulletins import pricing_services as ps
from dms.tenancy.context import as_dealer
from inventory.models import Part
from inventory.orders import services
from inventory.orders.models import PartsOrder
from inventory.stock.models import PartStock, WarehouseStock
from tests.factories import DealerFactory, hq_user, staff

from .stock_helpers import part

D = Decimal
# 10:00 UTC on 15 March 2027 (a Monday): the same day in Berlin and at HQ.
NOW = dt.datetime(2027, 3, 15, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 15)


@dataclass
class Shop:
    dealer: Any
    clerk: Any
    logistics: Any
    admin: Any
    parts: dict[str, Part]


def warehouse(item: Part, available: int | str) -> None:
    WarehouseStock.objects.update_or_create(part=item, defaults={"available": D(str(available))})


def shop(code: str = "PO1") -> Shop:
    dealer = DealerFactory(code=code, timezone="Europe/Berlin")
    admin = hq_user("hq_admin")
    parts = {n: part(n) for n in ("0012-A", "0012-B", "OIL-5W30", "PAD-77")}
    parts["OIL-5W30"].unit = Part.Unit.LITRE
    parts["OIL-5W30"].save()
    for item in parts.values():
        warehouse(item, 50)
    plist = ps.create_price_list(name="Parts", kind="parts", currency="EUR", actor=admin)
    rows = [
        ps.PartRow("0012-A", D("20.00"), D("12.50")),
        ps.PartRow("0012-B", D("22.00"), D("13.75")),
        ps.PartRow("OIL-5W30", D("9.00"), D("6.00")),
        ps.PartRow("PAD-77", D("80.00"), D("52.00")),
    ]
    draft = ps.draft_from_rows(price_list=plist, rows=rows, actor=admin)
    assert ps.check_version(version=draft, actor=admin) == []
    ps.publish(version=draft, valid_from=TODAY, actor=admin)
    return Shop(
        dealer=dealer,
        clerk=staff(dealer, "parts_clerk"),
        logistics=hq_user("hq_logistics", first_name="Lou", last_name="Gistics"),
        admin=admin,
        parts=parts,
    )


def draft(s: Shop, lines: dict[str, Any], **header: Any) -> PartsOrder:
    with as_dealer(s.dealer):
        order = services.create_order(dealer_id=s.dealer.pk, actor=s.clerk, **header)
        for number, quantity in lines.items():
            services.add_line(order=order, part_number=number, quantity=quantity, actor=s.clerk)
        return order


def sent(s: Shop, lines: dict[str, Any], **header: Any) -> PartsOrder:
    order = draft(s, lines, **header)
    with as_dealer(s.dealer):
        return services.send(order=order, actor=s.clerk)


def balance(s: Shop, number: str) -> PartStock | None:
    with as_dealer(s.dealer):
        return PartStock.objects.filter(part__number=number).first()


def on_order(s: Shop, number: str) -> Decimal:
    row = balance(s, number)
    return row.on_order if row else D("0")


def lines_of(s: Shop, order: PartsOrder) -> dict[str, Any]:
    with as_dealer(s.dealer):
        return {
            line.part.number: line
            for line in order.lines.select_related("part", "supplied_part").all()
        }


def reload(s: Shop, order: PartsOrder) -> PartsOrder:
    with as_dealer(s.dealer):
        return PartsOrder.objects.get(pk=order.pk)
