"""What the allocation rule needs from the apps above inventory, without importing them.

HQ's rule (inventory.vehicles.services.rank_dealers) weighs each dealer's open customer orders
that still wait for a vehicle (sales/) and its stock against its sales plan (reports/). Both
apps sit above or beside inventory in the layers (DESIGN.md), so they register a source here
(in their AppConfig.ready) and inventory asks the sources, never the apps.

A source takes (vehicle model id, dealer ids, day) and answers {dealer id: count}; dealers it has
nothing for are left out. Each source reads aggregates only: never a customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

Source = Callable[[int, Sequence[int], dt.date], dict[int, int]]

_SOURCES: dict[str, Source] = {}

OPEN_ORDERS = "open_orders"  # open customer orders of the model without a vehicle
MONTHLY_PLAN = "monthly_plan"  # planned deliveries of the model in the day's month


def register(kind: str, source: Source) -> None:
    if kind not in (OPEN_ORDERS, MONTHLY_PLAN):
        raise ValueError(f"unknown demand kind {kind!r}")
    _SOURCES[kind] = source


def ask(
    kind: str, vehicle_model_id: int, dealer_ids: Sequence[int], day: dt.date
) -> dict[int, int]:
    source = _SOURCES.get(kind)
    if source is None or not dealer_ids:
        return {}
    return {int(k): int(v) for k, v in source(vehicle_model_id, dealer_ids, day).items() if v}
