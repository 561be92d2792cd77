"""A user's inbox and its counts: live bulletins only, at the dealer they work in, in a fixed
number of queries however many bulletins there are."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bulletins import selectors, services
from dms.tenancy.context import as_dealer

from .conftest import NOW, Network, make_bulletin

pytestmark = pytest.mark.django_db


def test_counts_and_list(network: Network, frozen: time_machine.Coordinates) -> None:
    user = network.who("A", "service_advisor")
    plain = make_bulletin(network, title="Plain")
    to_ack = make_bulletin(
        network, title="Ack", requires_ack=True, ack_deadline=NOW + dt.timedelta(days=1)
    )
    late = make_bulletin(
        network, title="Late", requires_ack=True, ack_deadline=NOW + dt.timedelta(hours=1)
    )
    make_bulletin(network, title="Not mine", roles=["consultant"])
    make_bulletin(network, title="Other region", regions=[network.south])
    frozen.move_to(NOW + dt.timedelta(hours=2))
    with as_dealer(network.dealers["A"]):
        services.open_bulletin(user=user, bulletin=plain)
        services.acknowledge(user=user, bulletin=to_ack)
        assert selectors.inbox_counts(user=user) == selectors.InboxCounts(
            total=3, unread=1, unacknowledged=1, overdue=1, pending=1
        )
        rows = {r.bulletin.title: r for r in selectors.inbox(user=user)}
    assert set(rows) == {"Plain", "Ack", "Late"}
    assert (rows["Late"].is_unread, rows["Late"].needs_ack, rows["Late"].is_overdue) == (
        True,
        True,
        True,
    )
    assert (rows["Ack"].needs_ack, rows["Plain"].is_unread) == (False, False)
    assert late.pk


def test_the_inbox_takes_one_query_however_many_bulletins(network: Network) -> None:
    user = network.who("C", "consultant")
    for n in range(12):
        make_bulletin(network, title=f"B{n}", regions=[network.south])
    with as_dealer(network.dealers["C"]), CaptureQueriesContext(connection) as queries:
        rows = list(selectors.inbox(user=user))
        titles = [r.bulletin.title for r in rows]
        counts = selectors.inbox_counts(user=user)
    assert len(titles) == 12 and counts.unread == 12
    tenant_sql = [q for q in queries if not q["sql"].startswith("SET LOCAL")]
    assert len(tenant_sql) == 2, [q["sql"] for q in tenant_sql]
