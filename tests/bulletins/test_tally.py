"""The tally (network projection of the reading records): counts only, and always equal to a
recount of the reading records after every kind of change."""

from __future__ import annotations

import datetime as dt

import pytest

from bulletins import services
from bulletins.models import Bulletin, BulletinRecipient, BulletinTally
from dealers import services as dealer_services
from dealers.models import Membership
from dms.tenancy.context import as_dealer, as_dealers
from tests.factories import UserFactory

from .conftest import NOW, Network, make_bulletin

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)


def test_the_tally_holds_counts_only() -> None:
    """Pinned: widening this projection (a name, a user id, a note) is a decision, not an
    accident."""
    columns = [f.column for f in BulletinTally._meta.concrete_fields]
    assert columns == ["id", "bulletin_id", "dealer_id", "recipients", "opened", "acknowledged"]


def tallied(bulletin: Bulletin) -> dict[str, tuple[int, int, int]]:
    return {
        t.dealer.code: (t.recipients, t.opened, t.acknowledged)
        for t in BulletinTally.objects.filter(bulletin=bulletin, recipients__gt=0).select_related(
            "dealer"
        )
    }


def counted(net: Network, bulletin: Bulletin) -> dict[str, tuple[int, int, int]]:
    bulletin.refresh_from_db()
    out: dict[str, tuple[int, int, int]] = {}
    with as_dealers(net.dealers.values()):
        for r in BulletinRecipient.objects.filter(
            bulletin=bulletin, retired_at__isnull=True
        ).select_related("dealer"):
            n, o, a = out.get(r.dealer.code, (0, 0, 0))
            done = bulletin.requires_ack and r.acknowledged_version >= bulletin.ack_version
            out[r.dealer.code] = (n + 1, o + (r.opened_at is not None), a + done)
    return out


def test_tally_follows_every_change(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    assert tallied(bulletin) == counted(network, bulletin) == dict.fromkeys("ABCD", (4, 0, 0))

    with as_dealer(network.dealers["A"]):
        services.open_bulletin(user=network.who("A", "consultant"), bulletin=bulletin)
        services.open_bulletin(user=network.who("A", "consultant"), bulletin=bulletin)  # again
        services.acknowledge(user=network.who("A", "parts_clerk"), bulletin=bulletin)
        services.acknowledge(user=network.who("A", "parts_clerk"), bulletin=bulletin)  # again
    with as_dealer(network.dealers["C"]):
        services.acknowledge(user=network.who("C", "consultant"), bulletin=bulletin)
    assert tallied(bulletin) == counted(network, bulletin)
    assert tallied(bulletin)["A"] == (4, 2, 1)

    services.revise(
        bulletin=bulletin,
        actor=network.admin,
        title="v2",
        body="b",
        requires_reack=True,
        ack_deadline=DEADLINE + dt.timedelta(days=1),
    )
    assert tallied(bulletin) == counted(network, bulletin)
    assert tallied(bulletin)["A"] == (4, 2, 0)

    # Someone joins A (gets the live bulletin), someone leaves B (retired from the figures).
    dealer_services.add_membership(
        dealer=network.dealers["A"], user=UserFactory(), role="technician", actor=network.admin
    )
    leaving = Membership.objects.get(user=network.who("B", "consultant"))
    dealer_services.change_membership(
        membership=leaving, role="consultant", is_active=False, actor=network.admin
    )
    assert tallied(bulletin) == counted(network, bulletin)
    assert tallied(bulletin)["A"][0] == 5 and tallied(bulletin)["B"][0] == 3


def test_tally_of_a_bulletin_without_acknowledgement(network: Network) -> None:
    bulletin = make_bulletin(network, regions=[network.south])
    with as_dealer(network.dealers["D"]):
        services.open_bulletin(user=network.who("D", "consultant"), bulletin=bulletin)
    assert tallied(bulletin) == counted(network, bulletin) == {"C": (4, 0, 0), "D": (4, 1, 0)}


def test_recount_repairs_a_tally(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    BulletinTally.objects.filter(bulletin=bulletin).update(recipients=99, opened=7)
    ids = [d.pk for d in network.dealers.values()]
    with as_dealers(ids):
        services.recount(bulletin_ids=[bulletin.pk], dealer_ids=ids)
    assert tallied(bulletin) == counted(network, bulletin)
