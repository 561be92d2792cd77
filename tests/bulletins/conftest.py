"""A small network for the bulletin tests, built by hand so every figure can be counted:

    region North: A (group G), B (no group), E (inactive, group G)
    region South: C (group G), D (no group)

Each active dealer has four staff: consultant, service advisor, parts clerk, dealer manager.
Time is frozen at NOW (tests travel further with time_machine when they need to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine

from dealers.models import Dealer, DealerGroup, Region
from tests.factories import DealerFactory, DealerGroupFactory, RegionFactory, hq_user, staff

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
ROLES = ("consultant", "service_advisor", "parts_clerk", "dealer_manager")


@dataclass
class Network:
    north: Region
    south: Region
    group: DealerGroup
    dealers: dict[str, Dealer]
    people: dict[tuple[str, str], Any] = field(default_factory=dict)  # (dealer code, role)
    admin: Any = None
    north_manager: Any = None

    def who(self, code: str, role: str) -> Any:
        return self.people[(code, role)]

    def everyone(self, codes: str = "ABCD", roles: tuple[str, ...] = ROLES) -> set[tuple[str, str]]:
        return {(c, r) for c in codes for r in roles}


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def network(db: Any, frozen: Any) -> Network:
    north = RegionFactory(code="north", name="North")
    south = RegionFactory(code="south", name="South")
    group = DealerGroupFactory(name="Group G")
    spec = {"A": (north, group), "B": (north, None), "C": (south, group), "D": (south, None)}
    dealers = {
        code: DealerFactory(code=code, name=f"Dealer {code}", region=region, group=grp)
        for code, (region, grp) in spec.items()
    }
    dealers["E"] = DealerFactory(
        code="E", name="Dealer E", region=north, group=group, is_active=False
    )
    net = Network(north=north, south=south, group=group, dealers=dealers)
    for code in "ABCDE":
        for role in ROLES:
            net.people[(code, role)] = staff(
                dealers[code],
                role,
                username=f"{code.lower()}_{role}",
                first_name=code,
                last_name=role.replace("_", " ").title(),
            )
    net.admin = hq_user("hq_admin", username="hq_admin")
    net.north_manager = hq_user("hq_regional_manager", [north], username="hq_north")
    return net


def make_bulletin(net: Network, *, publish: bool = True, **fields: Any) -> Any:
    """A bulletin by HQ admin (published unless told otherwise); whole network by default."""
    from bulletins import services

    fields.setdefault("title", "Winter tyres")
    fields.setdefault("category", "commercial")
    if not any(k in fields for k in ("all_dealers", "regions", "groups", "dealers")):
        fields["all_dealers"] = True
    bulletin = services.create_draft(actor=net.admin, **fields)
    if publish:
        services.publish(bulletin=bulletin, actor=net.admin)
        bulletin.refresh_from_db()
    return bulletin


def recipients(net: Network, bulletin: Any, *, current: bool = True) -> set[tuple[str, str]]:
    """(dealer code, role) of every recipient row, read across the whole network."""
    from bulletins.models import BulletinRecipient
    from dms.tenancy.context import as_dealers

    with as_dealers(net.dealers.values()):
        rows = BulletinRecipient.objects.filter(bulletin=bulletin)
        if current:
            rows = rows.filter(retired_at__isnull=True)
        return set(rows.values_list("dealer__code", "role"))


@pytest.fixture
def price_reference_data(db: Any) -> None:
    """The vehicle list and catalogue of the data migration, for the price tests (a
    transactional test elsewhere may have flushed them)."""
    from tests.factories import ensure_reference_data

    ensure_reference_data()


@pytest.fixture
def cat(network: Network) -> dict[str, Any]:
    """A small parts catalogue for the price tests (tests/bulletins/prices_helpers.py)."""
    from tests.bulletins.prices_helpers import parts_catalogue

    return parts_catalogue()
