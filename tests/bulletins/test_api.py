"""The bulletins API: the inbox (paginated, filtered), one bulletin (marks it opened), the
idempotent acknowledgement and the badge counts; not targeted → 404, HQ → 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from bulletins import services

from .conftest import NOW, Network, make_bulletin

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_inbox_list_detail_acknowledge_counts(network: Network, frozen: Any) -> None:
    plain = make_bulletin(network, title="Plain", body="<p>hi</p><script>x</script>")
    to_ack = make_bulletin(network, title="Sign", requires_ack=True, ack_deadline=DEADLINE)
    client = api(network.who("A", "consultant"))

    listed = client.get("/api/bulletins/").json()
    assert listed["count"] == 2
    assert [r["title"] for r in listed["results"]] == ["Sign", "Plain"]  # newest first
    assert all(r["is_unread"] for r in listed["results"])
    only_ack = client.get("/api/bulletins/", {"show": "ack"}).json()
    assert [r["id"] for r in only_ack["results"]] == [to_ack.pk]

    detail = client.get(f"/api/bulletins/{plain.pk}/").json()
    assert detail["body"] == "<p>hi</p>"
    assert detail["opened_at"] is not None
    assert client.get("/api/bulletins/counts/").json() == {
        "total": 2,
        "unread": 1,
        "unacknowledged": 1,
        "overdue": 0,
        "pending": 1,
    }

    first = client.post(f"/api/bulletins/{to_ack.pk}/acknowledge/")
    assert first.status_code == 200
    frozen.shift(dt.timedelta(minutes=5))
    again = client.post(f"/api/bulletins/{to_ack.pk}/acknowledge/")
    assert again.json() == first.json()  # idempotent: the first time stays
    assert client.get("/api/bulletins/counts/").json()["pending"] == 0

    refused = client.post(f"/api/bulletins/{plain.pk}/acknowledge/")
    assert refused.status_code == 400


def test_not_targeted_is_not_found_and_hq_is_refused(network: Network) -> None:
    south = make_bulletin(network, regions=[network.south])
    client = api(network.who("A", "consultant"))
    assert client.get(f"/api/bulletins/{south.pk}/").status_code == 404
    assert client.post(f"/api/bulletins/{south.pk}/acknowledge/").status_code == 404
    assert south.pk not in [r["id"] for r in client.get("/api/bulletins/").json()["results"]]
    withdrawn = make_bulletin(network)
    services.withdraw(bulletin=withdrawn, actor=network.admin)
    assert client.get(f"/api/bulletins/{withdrawn.pk}/").status_code == 404
    from tests.api.support import session_client

    hq = session_client(network.admin)  # second factor verified: refused for its role
    assert hq.get("/api/bulletins/").status_code == 403
    assert APIClient().get("/api/bulletins/").status_code in (401, 403)


def test_compliance_read_for_hq_and_a_dealer_manager(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    from dms.tenancy.context import as_dealer
    from tests.api.support import session_client

    with as_dealer(network.dealers["A"]):
        services.acknowledge(user=network.who("A", "consultant"), bulletin=bulletin)
    url = f"/api/bulletin-compliance/{bulletin.pk}/"
    hq = session_client(network.admin).get(url).json()
    assert hq["total"]["recipients"] == 16 and hq["total"]["acknowledged"] == 1
    assert [d["code"] for d in hq["dealers"]] == ["A", "B", "C", "D"]
    assert len(hq["not_acknowledged"]) == 15
    north = session_client(network.north_manager).get(url).json()
    assert [d["code"] for d in north["dealers"]] == ["A", "B"]
    own = session_client(network.who("A", "dealer_manager")).get(url).json()
    assert [d["code"] for d in own["dealers"]] == ["A"]
    assert {p["dealer_code"] for p in own["not_acknowledged"]} == {"A"}
    assert session_client(network.who("A", "consultant")).get(url).status_code == 403
    only_c = make_bulletin(network, dealers=[network.dealers["C"]])
    other = f"/api/bulletin-compliance/{only_c.pk}/"
    assert session_client(network.who("A", "dealer_manager")).get(other).status_code == 404
