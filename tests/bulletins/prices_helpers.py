"""Shared pieces of the price-list tests: a small catalogue of parts and labour grades, and
quick ways to publish versions through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bulletins import pricing_services as ps
from bulletins.models import PriceList, PriceListVersion
from inventory.models import LabourGrade, Part, PartGroup

D = Decimal
TODAY = dt.date(2027, 3, 1)  # the frozen day of tests/bulletins/conftest.py (NOW)


def parts_catalogue() -> dict[str, Any]:
    brakes = PartGroup.objects.create(code="BRK", name="Brakes")
    filters = PartGroup.objects.create(code="FLT", name="Filters")
    parts = {
        "0001234": Part.objects.create(number="0001234", description="Brake pad set", group=brakes),
        "0001235": Part.objects.create(number="0001235", description="Brake disc", group=brakes),
        "F-100": Part.objects.create(number="F-100", description="Oil filter", group=filters),
    }
    grades = {
        "MECH": LabourGrade.objects.create(code="MECH", name="Mechanical"),
        "ELEC": LabourGrade.objects.create(code="ELEC", name="Electrical"),
    }
    return {"groups": {"BRK": brakes, "FLT": filters}, "parts": parts, "grades": grades}


def publish_rows(
    plist: PriceList, rows: list[Any], admin: Any, valid_from: dt.date
) -> PriceListVersion:
    draft = ps.draft_from_rows(price_list=plist, rows=rows, actor=admin)
    assert ps.check_version(version=draft, actor=admin) == []
    return ps.publish(version=draft, valid_from=valid_from, actor=admin)


def parts_list(admin: Any) -> PriceList:
    return ps.create_price_list(name="Parts", kind="parts", currency="EUR", actor=admin)


def labour_list(admin: Any) -> PriceList:
    return ps.create_price_list(name="Labour", kind="labour", currency="EUR", actor=admin)


def labour_rows(mech: str = "120.00", elec: str = "140.00") -> list[Any]:
    return [
        ps.LabourRow("MECH", D(mech), D(mech) - 20, D(mech) + 30),
        ps.LabourRow("ELEC", D(elec), D(elec) - 20, D(elec) + 30),
    ]
