"""How a book is shared out (dealers.handover.services._assign), over the WHOLE book.

"Balance open-lead load" is defined as: every receiver gets the same number of customers, give
or take one (customers without an open lead count like any other); within those shares the
customers with the most open leads go first, each to whoever then carries the fewest open leads
(what they held plus what the handover gave them); the one-more shares go to the least loaded.
"Round robin": the same even shares, one each in turn. The case behind this (issue 13): 54
customers, 51 of them to one consultant, because only customers with open leads were balanced.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from dealers.handover import services
from dealers.models import ReassignmentItem
from dms.tenancy.context import as_dealer
from tests.factories import CustomerFactory, DealerFactory, LeadFactory, staff
from tests.leads._funnel import ensure_reference_data

from ._world import held_by

pytestmark = pytest.mark.django_db


def _shop(*, dora_leads: list[int], cards: int, loads: dict[str, int]) -> dict[str, Any]:
    """Dora holds one customer per entry of `dora_leads` (with that many open leads) plus
    `cards` customers without an open lead; each colleague in `loads` holds that many open
    leads of their own."""
    ensure_reference_data()
    dealer = DealerFactory()
    people: dict[str, Any] = {
        "dealer": dealer,
        "manager": staff(dealer, "dealer_manager", first_name="Mona", last_name="Manager"),
        "dora": staff(dealer, "consultant", first_name="Dora", last_name="Departing"),
    }
    for name in loads:
        people[name] = staff(dealer, "consultant", first_name=name.title(), last_name="Colleague")
    with as_dealer(dealer):
        for n in dora_leads:
            customer = CustomerFactory(dealer=dealer, owner=people["dora"])
            for _ in range(n):
                LeadFactory(customer=customer, consultant=people["dora"], grade="B")
        for _ in range(cards):
            # a card without an open lead: still a customer to look after
            CustomerFactory(dealer=dealer, owner=people["dora"])
        for name, n in loads.items():
            own = CustomerFactory(dealer=dealer, owner=people[name])
            for _ in range(n):
                LeadFactory(customer=own, consultant=people[name], grade="C")
    return people


def _plan(shop: dict[str, Any], names: list[str], strategy: str) -> Any:
    with as_dealer(shop["dealer"]):
        return services.plan_batch(
            dealer=shop["dealer"],
            from_user=shop["dora"],
            actor=shop["manager"],
            targets=[shop[n] for n in names],
            strategy=strategy,
        )


def _shares(shop: dict[str, Any], batch: Any, names: list[str]) -> dict[str, int]:
    with as_dealer(shop["dealer"]):
        per = Counter(
            ReassignmentItem.objects.filter(batch=batch).values_list("to_user_id", flat=True)
        )
    return {n: per[shop[n].pk] for n in names}


def test_balance_shares_the_whole_book_evenly_and_evens_out_open_leads() -> None:
    # 54 customers: 6 with open leads (12 leads), 48 without. Eve already carries 12 open
    # leads, Gina 4, Finn none. Before: Finn received every customer without an open lead.
    names = ["eve", "finn", "gina"]
    shop = _shop(dora_leads=[3, 3, 2, 2, 1, 1], cards=48, loads={"eve": 12, "finn": 0, "gina": 4})
    batch = _plan(shop, names, "balance")

    assert _shares(shop, batch, names) == {"eve": 18, "finn": 18, "gina": 18}
    with as_dealer(shop["dealer"]):
        services.apply_batch(batch=batch, actor=shop["manager"])
    held = {n: held_by(shop["dealer"], shop[n]) for n in names}
    # Customers: their own card plus 18 each. Open leads: the 12 went to Finn (8) and Gina
    # (4), none to Eve, who already had the most: 12 / 8 / 8 instead of 12 / 12 / 4.
    assert {n: h["customers"] for n, h in held.items()} == {"eve": 19, "finn": 19, "gina": 19}
    assert {n: h["open_leads"] for n, h in held.items()} == {"eve": 12, "finn": 8, "gina": 8}
    assert held_by(shop["dealer"], shop["dora"])["customers"] == 0


def test_balance_gives_the_one_more_shares_to_the_least_loaded() -> None:
    names = ["eve", "finn", "gina"]
    shop = _shop(dora_leads=[], cards=7, loads={"eve": 2, "finn": 0, "gina": 1})
    batch = _plan(shop, names, "balance")
    assert _shares(shop, batch, names) == {"eve": 2, "finn": 3, "gina": 2}


def test_balance_with_one_receiver_gives_them_everything() -> None:
    shop = _shop(dora_leads=[2, 1], cards=3, loads={"eve": 5})
    batch = _plan(shop, ["eve"], "balance")
    assert _shares(shop, batch, ["eve"]) == {"eve": 5}


@pytest.mark.parametrize("strategy", ["balance", "round_robin"])
def test_even_shares_within_one_customer_whatever_the_loads(strategy: str) -> None:
    names = ["eve", "finn", "gina", "hugo"]
    shop = _shop(
        dora_leads=[4, 1, 1, 0, 2], cards=21, loads={"eve": 30, "finn": 0, "gina": 7, "hugo": 1}
    )
    shares = _shares(shop, _plan(shop, names, strategy), names)
    assert sum(shares.values()) == 26
    assert max(shares.values()) - min(shares.values()) <= 1, shares


def test_manual_gives_everything_to_the_first_colleague() -> None:
    shop = _shop(dora_leads=[1], cards=4, loads={"eve": 0, "finn": 0})
    shares = _shares(shop, _plan(shop, ["eve", "finn"], "manual"), ["eve", "finn"])
    assert shares == {"eve": 5, "finn": 0}
