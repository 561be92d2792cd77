"""Reading and acknowledging: sanitised bodies, versions, idempotent acknowledgement, refusals
for people the bulletin does not reach, and other dealers' reading records invisible."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from bulletins import selectors, services
from bulletins.models import Bulletin, BulletinRecipient, BulletinVersion
from dms.tenancy.context import as_dealer

from .conftest import NOW, Network, make_bulletin

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)


def row(net: Network, code: str, role: str, bulletin: Bulletin) -> BulletinRecipient:
    with as_dealer(net.dealers[code]):
        return BulletinRecipient.objects.get(bulletin=bulletin, user=net.who(code, role))


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ('<img src="x" onerror="alert(1)">text', "text"),
        (
            '<a href="javascript:alert(1)" onclick="x()">link</a>',
            '<a rel="noopener noreferrer">link</a>',
        ),
        ('<p style="color:red" class="x">ok</p>', "<p>ok</p>"),
        ('<iframe src="https://evil.example"></iframe><b>bold</b>', "<b>bold</b>"),
        (
            '<a href="https://hq.example/doc" title="Doc">doc</a>',
            '<a href="https://hq.example/doc" title="Doc" rel="noopener noreferrer">doc</a>',
        ),
        ("<ul><li>one</li></ul><h2>Head</h2>", "<ul><li>one</li></ul><h2>Head</h2>"),
    ],
)
def test_the_body_is_sanitised_when_saved(network: Network, dirty: str, clean: str) -> None:
    bulletin = make_bulletin(network, publish=False, body=dirty)
    assert Bulletin.objects.get(pk=bulletin.pk).body == clean


def test_drafts_and_revisions_are_sanitised_too(network: Network) -> None:
    bulletin = make_bulletin(network, publish=False)
    services.update_draft(bulletin=bulletin, actor=network.admin, body="<svg onload=x()>a</svg>b")
    assert Bulletin.objects.get(pk=bulletin.pk).body == "ab"
    services.publish(bulletin=bulletin, actor=network.admin)
    services.revise(
        bulletin=bulletin, actor=network.admin, title="T2", body="<p onmouseover='x'>v2</p>"
    )
    assert Bulletin.objects.get(pk=bulletin.pk).body == "<p>v2</p>"
    assert BulletinVersion.objects.get(bulletin=bulletin, number=2).body == "<p>v2</p>"


def test_a_published_bulletin_is_not_edited_in_place(network: Network) -> None:
    bulletin = make_bulletin(network)
    with pytest.raises(ValidationError):
        services.update_draft(bulletin=bulletin, actor=network.admin, title="Changed")
    assert Bulletin.objects.get(pk=bulletin.pk).title == "Winter tyres"


def test_acknowledging_is_one_idempotent_click(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    user = network.who("A", "consultant")
    frozen.move_to(NOW + dt.timedelta(hours=1))
    with as_dealer(network.dealers["A"]):
        first = services.acknowledge(user=user, bulletin=bulletin)
    assert first.acknowledged_at == NOW + dt.timedelta(hours=1)
    assert first.acknowledged_version == 1
    assert first.opened_at == NOW + dt.timedelta(hours=1)  # acknowledging is reading it
    frozen.move_to(NOW + dt.timedelta(hours=3))
    with as_dealer(network.dealers["A"]):
        again = services.acknowledge(user=user, bulletin=bulletin)
    assert again.acknowledged_at == NOW + dt.timedelta(hours=1)  # the first time stays
    assert row(network, "A", "service_advisor", bulletin).acknowledged_at is None


def test_opening_keeps_the_first_time_and_tracks_the_version(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    bulletin = make_bulletin(network)
    user = network.who("B", "parts_clerk")
    with as_dealer(network.dealers["B"]):
        services.open_bulletin(user=user, bulletin=bulletin)
        assert selectors.inbox_counts(user=user).unread == 0
    frozen.move_to(NOW + dt.timedelta(days=1))
    services.revise(bulletin=bulletin, actor=network.admin, title="Winter tyres", body="v2")
    with as_dealer(network.dealers["B"]):
        assert selectors.inbox_counts(user=user).unread == 1  # a new version is news
        services.open_bulletin(user=user, bulletin=bulletin)
        assert selectors.inbox_counts(user=user).unread == 0
    opened = row(network, "B", "parts_clerk", bulletin)
    assert (opened.opened_at, opened.opened_version) == (NOW, 2)


def test_a_revision_marked_so_asks_for_acknowledgement_again(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    user = network.who("C", "service_advisor")
    with as_dealer(network.dealers["C"]):
        services.acknowledge(user=user, bulletin=bulletin)
    # A revision without re-acknowledgement: still acknowledged.
    services.revise(bulletin=bulletin, actor=network.admin, title="Typo fixed", body="b")
    with as_dealer(network.dealers["C"]):
        assert selectors.inbox_counts(user=user).unacknowledged == 0
    frozen.move_to(NOW + dt.timedelta(days=1))
    new_deadline = NOW + dt.timedelta(days=8)
    services.revise(
        bulletin=bulletin,
        actor=network.admin,
        title="New torque values",
        body="<p>read again</p>",
        requires_reack=True,
        ack_deadline=new_deadline,
        note="torque changed",
    )
    bulletin.refresh_from_db()
    assert (bulletin.version, bulletin.ack_version, bulletin.ack_deadline) == (3, 3, new_deadline)
    with as_dealer(network.dealers["C"]):
        assert selectors.inbox_counts(user=user).unacknowledged == 1
        again = services.acknowledge(user=user, bulletin=bulletin)
    assert (again.acknowledged_version, again.acknowledged_at) == (3, NOW + dt.timedelta(days=1))
    versions = BulletinVersion.objects.filter(bulletin=bulletin).order_by("number")
    assert [(v.number, v.requires_reack) for v in versions] == [(1, False), (2, False), (3, True)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"requires_reack": True}, "ack_deadline"),  # no new deadline
        ({"requires_reack": True, "ack_deadline": NOW - dt.timedelta(hours=1)}, "ack_deadline"),
    ],
)
def test_a_bad_revision_changes_nothing(
    network: Network, kwargs: dict[str, object], field: str
) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE, body="v1")
    with pytest.raises(ValidationError) as refused:
        services.revise(bulletin=bulletin, actor=network.admin, title="T", body="v2", **kwargs)
    assert field in refused.value.message_dict
    bulletin.refresh_from_db()
    assert (bulletin.version, bulletin.body) == (1, "v1")


def test_a_bulletin_without_acknowledgement_cannot_be_acknowledged(network: Network) -> None:
    bulletin = make_bulletin(network)
    with as_dealer(network.dealers["A"]), pytest.raises(ValidationError):
        services.acknowledge(user=network.who("A", "consultant"), bulletin=bulletin)
    assert row(network, "A", "consultant", bulletin).acknowledged_at is None
    with pytest.raises(ValidationError):
        services.revise(
            bulletin=bulletin,
            actor=network.admin,
            title="T",
            body="b",
            requires_reack=True,
            ack_deadline=DEADLINE,
        )


def test_people_the_bulletin_does_not_reach_get_not_found(network: Network) -> None:
    bulletin = make_bulletin(
        network, regions=[network.north], requires_ack=True, ack_deadline=DEADLINE
    )
    outsider = network.who("C", "consultant")  # South
    for dealer, user in (
        (network.dealers["C"], outsider),
        # Someone of a targeted dealer acting in another dealer's scope: still nothing.
        (network.dealers["C"], network.who("A", "consultant")),
    ):
        with as_dealer(dealer):
            with pytest.raises(services.BulletinNotFound):
                services.acknowledge(user=user, bulletin=bulletin)
            with pytest.raises(services.BulletinNotFound):
                services.open_bulletin(user=user, bulletin=bulletin)
            with pytest.raises(services.BulletinNotFound):
                selectors.bulletin_for_reader(user=user, pk=bulletin.pk)
    draft = make_bulletin(network, publish=False)
    with as_dealer(network.dealers["A"]), pytest.raises(services.BulletinNotFound):
        services.open_bulletin(user=network.who("A", "consultant"), bulletin=draft)


def test_a_withdrawn_bulletin_leaves_the_inbox_and_cannot_be_acknowledged(
    network: Network,
) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    user = network.who("D", "consultant")
    with as_dealer(network.dealers["D"]):
        assert [r.bulletin_id for r in selectors.inbox(user=user)] == [bulletin.pk]
    services.withdraw(bulletin=bulletin, actor=network.admin, reason="wrong price")
    with as_dealer(network.dealers["D"]):
        assert list(selectors.inbox(user=user)) == []
        assert selectors.inbox_counts(user=user) == selectors.InboxCounts(0, 0, 0, 0)
        with pytest.raises(services.BulletinNotFound):
            services.acknowledge(user=user, bulletin=bulletin)


def test_another_dealers_reading_record_is_invisible_even_to_raw_sql(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    b_id = network.dealers["B"].pk
    with as_dealer(network.dealers["B"]):
        services.acknowledge(user=network.who("B", "consultant"), bulletin=bulletin)
    with as_dealer(network.dealers["A"]):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM bulletins_bulletinrecipient WHERE dealer_id = %s", [b_id]
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "UPDATE bulletins_bulletinrecipient SET acknowledged_version = 0"
                " WHERE dealer_id = %s",
                [b_id],
            )
            assert cursor.rowcount == 0
        # The ORM answers alike, whatever the filter asks for.
        assert not BulletinRecipient.objects.filter(dealer_id=b_id).exists()
    assert row(network, "B", "consultant", bulletin).acknowledged_version == 1
