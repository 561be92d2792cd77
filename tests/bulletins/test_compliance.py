"""Compliance figures for one bulletin, computed by hand for the small network of conftest:

A whole-network bulletin to all four roles (16 people), acknowledged by
A: consultant, service advisor, parts clerk (3/4); B: consultant (1/4; its service advisor only
opened it); C: nobody (0/4); D: everyone (4/4). After the deadline:
North (A, B) 4/8 = 0.5, overdue 4; South (C, D) 4/8 = 0.5, overdue 4; network 8/16, overdue 8.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bulletins import selectors, services
from bulletins.models import Bulletin
from dealers.selectors import access_for
from dms.tenancy.context import as_dealer, as_dealers

from .conftest import NOW, ROLES, Network, make_bulletin

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)
ACKED = {"A": ("consultant", "service_advisor", "parts_clerk"), "B": ("consultant",), "C": (),
         "D": ROLES}  # fmt: skip


@pytest.fixture
def bulletin(network: Network) -> Bulletin:
    b = make_bulletin(network, title="Process change", requires_ack=True, ack_deadline=DEADLINE)
    for code, roles in ACKED.items():
        with as_dealer(network.dealers[code]):
            for role in roles:
                services.acknowledge(user=network.who(code, role), bulletin=b)
    with as_dealer(network.dealers["B"]):
        services.open_bulletin(user=network.who("B", "service_advisor"), bulletin=b)
    return b


def hq_view(user: Any, bulletin: Bulletin) -> selectors.Compliance:
    access = access_for(user)
    with as_dealers(access.dealer_ids):
        return selectors.compliance(access=access, bulletin_id=bulletin.pk)


def figures(f: selectors.Figures) -> tuple[int, int, int, int, float | None]:
    return (f.recipients, f.opened, f.acknowledged, f.overdue, f.share_acknowledged)


def test_hq_sees_the_share_by_region_and_dealer_and_who_is_overdue(
    network: Network, bulletin: Bulletin, frozen: time_machine.Coordinates
) -> None:
    before = hq_view(network.admin, bulletin)
    assert figures(before.total) == (16, 9, 8, 0, 0.5)
    assert before.overdue == []
    frozen.move_to(DEADLINE + dt.timedelta(minutes=1))
    view = hq_view(network.admin, bulletin)
    assert figures(view.total) == (16, 9, 8, 8, 0.5)
    assert [(r.name, figures(r.figures)) for r in view.regions] == [
        ("North", (8, 5, 4, 4, 0.5)),
        ("South", (8, 4, 4, 4, 0.5)),
    ]
    assert [(d.code, figures(d.figures)) for d in view.dealers] == [
        ("A", (4, 3, 3, 1, 0.75)),
        ("B", (4, 2, 1, 3, 0.25)),
        ("C", (4, 0, 0, 4, 0.0)),
        ("D", (4, 4, 4, 0, 1.0)),
    ]
    assert [(s.dealer_code, s.role) for s in view.overdue] == [
        ("A", "dealer_manager"),
        ("B", "dealer_manager"),
        ("B", "parts_clerk"),
        ("B", "service_advisor"),
        ("C", "consultant"),
        ("C", "dealer_manager"),
        ("C", "parts_clerk"),
        ("C", "service_advisor"),
    ]
    assert view.overdue[0].name == "A Dealer Manager"  # staff names, never a customer's


def test_a_regional_manager_sees_only_their_regions_dealers(
    network: Network, bulletin: Bulletin, frozen: time_machine.Coordinates
) -> None:
    frozen.move_to(DEADLINE + dt.timedelta(minutes=1))
    view = hq_view(network.north_manager, bulletin)
    assert figures(view.total) == (8, 5, 4, 4, 0.5)
    assert [r.name for r in view.regions] == ["North"]
    assert [d.code for d in view.dealers] == ["A", "B"]
    assert {s.dealer_code for s in view.overdue} == {"A", "B"}


def test_a_dealer_manager_sees_their_own_staff(
    network: Network, bulletin: Bulletin, frozen: time_machine.Coordinates
) -> None:
    frozen.move_to(DEADLINE + dt.timedelta(minutes=1))
    manager = network.who("B", "dealer_manager")
    access = access_for(manager)
    with as_dealer(network.dealers["B"]):
        lines = selectors.staff_status(access=access, bulletin_id=bulletin.pk)
        own = selectors.compliance(access=access, bulletin_id=bulletin.pk)
    assert [(s.role, s.overdue, s.acknowledged_at is not None) for s in lines] == [
        ("dealer_manager", True, False),
        ("parts_clerk", True, False),
        ("service_advisor", True, False),
        ("consultant", False, True),
    ]
    assert {s.dealer_id for s in lines} == {network.dealers["B"].pk}
    assert [d.code for d in own.dealers] == ["B"] and figures(own.total) == (4, 2, 1, 3, 0.25)


def test_staff_without_the_right_are_refused_and_other_bulletins_are_not_found(
    network: Network, bulletin: Bulletin
) -> None:
    consultant = network.who("A", "consultant")
    with as_dealer(network.dealers["A"]), pytest.raises(PermissionDenied):
        selectors.compliance(access=access_for(consultant), bulletin_id=bulletin.pk)
    with as_dealers(access_for(network.admin).dealer_ids), pytest.raises(PermissionDenied):
        selectors.staff_status(access=access_for(network.admin), bulletin_id=bulletin.pk)
    north_only = make_bulletin(network, regions=[network.north])
    manager_c = network.who("C", "dealer_manager")
    with as_dealer(network.dealers["C"]):
        for read in (selectors.compliance, selectors.staff_status):
            with pytest.raises(services.BulletinNotFound):
                read(access=access_for(manager_c), bulletin_id=north_only.pk)
    draft = make_bulletin(network, publish=False)
    with pytest.raises(services.BulletinNotFound):
        hq_view(network.admin, draft)


def test_the_network_view_takes_a_fixed_number_of_queries(
    network: Network, bulletin: Bulletin, frozen: time_machine.Coordinates
) -> None:
    frozen.move_to(DEADLINE + dt.timedelta(minutes=1))
    access = access_for(network.admin)
    with as_dealers(access.dealer_ids), CaptureQueriesContext(connection) as queries:
        selectors.compliance(access=access, bulletin_id=bulletin.pk)
    # the bulletin, the per-dealer aggregate, the dealers with regions, the overdue list
    assert len(queries) <= 5, [q["sql"] for q in queries]
