"""Who receives a bulletin: region × group × dealer (a union) × role (an intersection), only
active dealers, memberships and accounts; people who join later; empty audiences refused."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from bulletins import services
from bulletins.models import Bulletin, BulletinRecipient, BulletinVersion
from dealers import services as dealer_services
from dealers.models import Membership
from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealers
from tests.factories import UserFactory

from .conftest import NOW, ROLES, Network, make_bulletin, recipients

pytestmark = pytest.mark.django_db


def targets(net: Network, regions: str, groups: bool, dealers: str) -> dict[str, object]:
    region_of = {"N": net.north, "S": net.south}
    return {
        "regions": [region_of[r] for r in regions],
        "groups": [net.group] if groups else [],
        "dealers": [net.dealers[c] for c in dealers],
    }


@pytest.mark.parametrize(
    ("regions", "groups", "dealers", "roles", "expected_dealers", "expected_roles"),
    [
        ("N", False, "", (), "AB", ROLES),  # E is in North but inactive
        ("S", False, "", (), "CD", ROLES),
        ("", True, "", (), "AC", ROLES),  # group G: A and C (E inactive)
        ("", False, "D", (), "D", ROLES),
        ("N", False, "D", (), "ABD", ROLES),  # union of region and dealer
        ("S", True, "", (), "ACD", ROLES),  # union of region and group
        ("N", True, "D", (), "ABCD", ROLES),
        (
            "",
            True,
            "",
            ("service_advisor", "parts_clerk"),
            "AC",
            ("service_advisor", "parts_clerk"),
        ),
        ("N", False, "C", ("dealer_manager",), "ABC", ("dealer_manager",)),
    ],
)
def test_region_group_dealer_and_role_targeting(
    network: Network,
    regions: str,
    groups: bool,
    dealers: str,
    roles: tuple[str, ...],
    expected_dealers: str,
    expected_roles: tuple[str, ...],
) -> None:
    bulletin = make_bulletin(network, roles=roles, **targets(network, regions, groups, dealers))
    assert recipients(network, bulletin) == network.everyone(expected_dealers, expected_roles)


def test_whole_network_reaches_every_active_member_once_per_dealer(network: Network) -> None:
    # Someone working at two dealers gets one row at each; inactive people get nothing.
    twice = network.who("A", "consultant")
    Membership.objects.create(user=twice, dealer=network.dealers["C"], role="parts_clerk")
    Membership.objects.filter(user=network.who("B", "consultant")).update(is_active=False)
    gone = network.who("D", "parts_clerk")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    bulletin = make_bulletin(network)
    expected = network.everyone() - {("B", "consultant"), ("D", "parts_clerk")}
    assert recipients(network, bulletin) == expected
    with as_dealers(network.dealers.values()):
        assert BulletinRecipient.objects.filter(bulletin=bulletin, user=twice).count() == 2
        assert BulletinRecipient.objects.filter(bulletin=bulletin).count() == len(expected) + 1


def test_publishing_records_a_version_and_the_audit_entry(network: Network) -> None:
    bulletin = make_bulletin(network, regions=[network.south])
    assert bulletin.status == Bulletin.Status.PUBLISHED
    assert bulletin.published_at == NOW
    assert list(
        BulletinVersion.objects.filter(bulletin=bulletin).values_list("number", flat=True)
    ) == [1]
    entry = AuditEntry.objects.filter(object_id=str(bulletin.pk), detail__change="published").get()
    assert entry.actor == network.admin
    assert entry.count == 8  # C and D, four people each
    assert entry.detail["targets"]["regions"] == [network.south.pk]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"all_dealers": False}, "targets"),  # nothing chosen
        ({"all_dealers": False, "dealers_codes": "E"}, "targets"),  # only an inactive dealer
        ({"roles": ["technician"]}, "targets"),  # nobody holds the role
        ({"requires_ack": True, "ack_deadline": NOW - dt.timedelta(minutes=1)}, "ack_deadline"),
        ({"live_until": NOW}, "live_until"),
    ],
)
def test_publishing_is_refused_and_changes_nothing(
    network: Network, fields: dict[str, object], field: str
) -> None:
    codes = str(fields.pop("dealers_codes", ""))
    if codes:
        fields["dealers"] = [network.dealers[c] for c in codes]
    bulletin = services.create_draft(
        actor=network.admin, title="T", category="process", **{"all_dealers": True, **fields}
    )
    with pytest.raises(ValidationError) as refused:
        services.publish(bulletin=bulletin, actor=network.admin)
    assert field in refused.value.message_dict
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DRAFT and bulletin.published_at is None
    assert not BulletinVersion.objects.filter(bulletin=bulletin).exists()
    assert recipients(network, bulletin, current=False) == set()


def test_only_hq_admins_write_bulletins(network: Network) -> None:
    with pytest.raises(PermissionDenied):
        services.create_draft(
            actor=network.who("A", "dealer_manager"), title="T", category="process"
        )
    bulletin = make_bulletin(network, publish=False)
    for actor in (network.north_manager, network.who("A", "dealer_manager")):
        with pytest.raises(PermissionDenied):
            services.publish(bulletin=bulletin, actor=actor)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.DRAFT


def test_someone_joining_later_gets_the_live_bulletins_that_reach_them(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    north = make_bulletin(network, title="North", regions=[network.north])
    advisors = make_bulletin(network, title="Advisors", roles=["service_advisor"])
    withdrawn = make_bulletin(network, title="Old")
    services.withdraw(bulletin=withdrawn, actor=network.admin)
    expired = make_bulletin(network, title="Expired", live_until=NOW + dt.timedelta(hours=1))
    newcomer = UserFactory(username="newcomer")
    frozen.move_to(NOW + dt.timedelta(hours=2))
    dealer_services.add_membership(
        dealer=network.dealers["B"], user=newcomer, role="consultant", actor=network.admin
    )
    with as_dealers([network.dealers["B"]]):
        got = set(
            BulletinRecipient.objects.filter(user=newcomer).values_list(
                "bulletin__title", flat=True
            )
        )
    assert got == {"North"}  # not the advisors' one, not withdrawn, not expired
    assert expired.pk and advisors.pk and north.pk


def test_a_role_change_brings_new_bulletins_and_retires_those_no_longer_meant(
    network: Network,
) -> None:
    advisors = make_bulletin(network, title="Advisors", roles=["service_advisor"])
    sales = make_bulletin(network, title="Sales", roles=["consultant"])
    person = network.who("C", "consultant")
    membership = Membership.objects.get(user=person, dealer=network.dealers["C"])
    dealer_services.change_membership(
        membership=membership, role="service_advisor", is_active=True, actor=network.admin
    )
    with as_dealers([network.dealers["C"]]):
        rows = {r.bulletin_id: r for r in BulletinRecipient.objects.filter(user=person)}
    assert rows[advisors.pk].retired_at is None and rows[advisors.pk].role == "service_advisor"
    assert rows[sales.pk].retired_at == NOW  # kept as the record, out of the inbox
    # Back to consultant: the sales bulletin comes back (same row, not a second one).
    dealer_services.change_membership(
        membership=membership, role="consultant", is_active=True, actor=network.admin
    )
    with as_dealers([network.dealers["C"]]):
        assert BulletinRecipient.objects.filter(user=person, bulletin=sales).count() == 1
        assert BulletinRecipient.objects.get(user=person, bulletin=sales).retired_at is None
        assert BulletinRecipient.objects.get(user=person, bulletin=advisors).retired_at == NOW
