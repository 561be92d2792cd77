"""/api/absences/: CRUD by a dealer's managers, clear errors that change nothing, other dealers'
ids answer 404, HQ regional managers read their region and write nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dealers import services
from dealers.models import Membership, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.api.support import absence_form, results, session_client, token_client
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = pytest.mark.django_db

D = datetime.date


def absence(dealer: Any, user: Any, start: datetime.date, end: datetime.date) -> StaffAbsence:
    membership = Membership.objects.get(dealer=dealer, user=user)
    with as_dealer(dealer):
        return services.create_absence(
            dealer=dealer,
            membership=membership,
            starts_on=start,
            ends_on=end,
            reason="leave",
            actor=None,
        )


def snapshot() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for dealer_id in Membership.objects.values_list("dealer_id", flat=True).distinct():
        with as_dealer(dealer_id):
            rows += list(
                StaffAbsence.objects.order_by("pk").values_list(
                    "pk", "membership_id", "starts_on", "ends_on", "reason", "note"
                )
            )
    return sorted(rows)


@pytest.fixture
def network() -> dict[str, Any]:
    north, south = RegionFactory(code="north"), RegionFactory(code="south")
    a, b, c = DealerFactory(region=north), DealerFactory(region=north), DealerFactory(region=south)
    people = {
        "a_manager": staff(a, "dealer_manager"),
        "a_consultant": staff(a, "consultant"),
        "a_colleague": staff(a, "consultant"),
        "b_consultant": staff(b, "consultant"),
        "c_consultant": staff(c, "consultant"),
        "rm": hq_user("hq_regional_manager", regions=[north]),
    }
    return {"a": a, "b": b, "c": c, **people}


def test_dealer_manager_creates_reads_updates_and_deletes(network: dict[str, Any]) -> None:
    a, manager = network["a"], network["a_manager"]
    member = Membership.objects.get(user=network["a_consultant"])
    client = session_client(manager)
    created = client.post(
        "/api/absences/",
        absence_form(member, "2026-03-02", "2026-03-06", "leave", note="Holiday"),
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dealer"] == a.pk and body["membership"] == member.pk
    pk = body["id"]

    rows = results(client.get("/api/absences/"))
    assert [r["id"] for r in rows] == [pk]
    assert client.get(f"/api/absences/{pk}/").json()["note"] == "Holiday"

    patched = client.patch(f"/api/absences/{pk}/", {"ends_on": "2026-03-09"}, format="json")
    assert patched.status_code == 200, patched.content
    with as_dealer(a):
        assert StaffAbsence.objects.get(pk=pk).ends_on == D(2026, 3, 9)

    assert client.delete(f"/api/absences/{pk}/").status_code == 204
    with as_dealer(a):
        assert not StaffAbsence.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"starts_on": "2026-03-06", "ends_on": "2026-03-02"}, "ends_on", "end on or after"),
        ({"starts_on": "2026-03-04", "ends_on": "2026-03-12"}, "starts_on", "may not overlap"),
        ({"starts_on": "2026-13-01", "ends_on": "2026-03-02"}, "starts_on", "Date has wrong"),
        ({"reason": "holiday-in-spain"}, "reason", "not a valid choice"),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    network: dict[str, Any], payload: dict[str, str], field: str, message: str
) -> None:
    a, consultant = network["a"], network["a_consultant"]
    absence(a, consultant, D(2026, 3, 1), D(2026, 3, 5))
    before = snapshot()
    member = Membership.objects.get(user=consultant)
    data = {**absence_form(member, "2026-04-01", "2026-04-02"), **payload}
    response = session_client(network["a_manager"]).post("/api/absences/", data, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert snapshot() == before


def test_another_dealers_staff_member_reads_as_not_existing(network: dict[str, Any]) -> None:
    foreign = Membership.objects.get(user=network["b_consultant"])
    before = snapshot()
    response = session_client(network["a_manager"]).post(
        "/api/absences/",
        absence_form(foreign, "2026-04-01", "2026-04-02"),
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["membership"][0]
    assert snapshot() == before


def test_another_dealers_absence_id_is_404_and_unchanged(network: dict[str, Any]) -> None:
    theirs = absence(network["b"], network["b_consultant"], D(2026, 5, 1), D(2026, 5, 3))
    before = snapshot()
    client = token_client(network["a_manager"])
    url = f"/api/absences/{theirs.pk}/"
    member = Membership.objects.get(user=network["a_consultant"])
    full = absence_form(member, "2026-05-01", "2026-05-09")
    assert client.get(url).status_code == 404
    assert client.put(url, full, format="json").status_code == 404
    assert client.patch(url, {"note": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert snapshot() == before
    assert results(client.get("/api/absences/")) == []


def test_consultant_may_not_use_the_absence_api(network: dict[str, Any]) -> None:
    client = session_client(network["a_consultant"])
    assert client.get("/api/absences/").status_code == 403


def test_regional_manager_reads_their_region_and_writes_nothing(network: dict[str, Any]) -> None:
    in_a = absence(network["a"], network["a_consultant"], D(2026, 6, 1), D(2026, 6, 2))
    in_b = absence(network["b"], network["b_consultant"], D(2026, 6, 1), D(2026, 6, 2))
    other_region = absence(network["c"], network["c_consultant"], D(2026, 6, 1), D(2026, 6, 2))
    before = snapshot()
    for client in (session_client(network["rm"]), token_client(network["rm"])):
        rows = results(client.get("/api/absences/"))
        assert {r["id"] for r in rows} == {in_a.pk, in_b.pk}
        assert results(client.get(f"/api/absences/?dealer={network['b'].pk}"))[0]["id"] == in_b.pk
        assert client.get(f"/api/absences/{in_a.pk}/").status_code == 200
        assert client.get(f"/api/absences/{other_region.pk}/").status_code == 404

        member = Membership.objects.get(user=network["a_colleague"])
        payload = absence_form(member, "2026-07-01", "2026-07-02", "leave")
        assert client.post("/api/absences/", payload, format="json").status_code in (403, 404)
        url = f"/api/absences/{in_a.pk}/"
        assert client.patch(url, {"note": "hq"}, format="json").status_code in (403, 404)
        assert client.put(url, payload, format="json").status_code in (403, 404)
        assert client.delete(url).status_code in (403, 404)
    assert snapshot() == before


def test_list_is_paginated_and_filterable(network: dict[str, Any]) -> None:
    a = network["a"]
    for i in range(3):
        absence(a, network["a_consultant"], D(2026, 1, 1 + 3 * i), D(2026, 1, 2 + 3 * i))
    absence(a, network["a_colleague"], D(2026, 2, 1), D(2026, 2, 1))
    client = session_client(network["a_manager"])
    page = client.get("/api/absences/?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    member = Membership.objects.get(user=network["a_colleague"])
    assert len(results(client.get(f"/api/absences/?membership={member.pk}"))) == 1
    assert len(results(client.get("/api/absences/?absent_from=2026-01-05"))) == 3
