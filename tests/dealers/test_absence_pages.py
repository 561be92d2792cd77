"""/network/absences/: list with filters, create/edit/delete forms, scoping and role limits."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dealers import services
from dealers.models import Membership, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.api.support import absence_form, session_client, table_html
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = pytest.mark.django_db
D = datetime.date


def add_absence(dealer: Any, user: Any, start: datetime.date, end: datetime.date, **kw: Any):
    with as_dealer(dealer):
        return services.create_absence(
            dealer=dealer,
            membership=Membership.objects.get(user=user, dealer=dealer),
            starts_on=start,
            ends_on=end,
            reason=kw.get("reason", "leave"),
            note=kw.get("note", ""),
            actor=None,
        )


def rows(dealer: Any) -> list[tuple[Any, ...]]:
    with as_dealer(dealer):
        return list(
            StaffAbsence.objects.order_by("pk").values_list(
                "pk", "membership_id", "starts_on", "ends_on", "reason", "note"
            )
        )


@pytest.fixture
def net() -> dict[str, Any]:
    region = RegionFactory()
    a, b = DealerFactory(region=region), DealerFactory()
    return {
        "a": a,
        "b": b,
        "manager": staff(a, "sales_manager"),
        "anna": staff(a, "consultant", first_name="Anna", last_name="Berg"),
        "carl": staff(a, "consultant", first_name="Carl", last_name="Dahl"),
        "bob": staff(b, "consultant", first_name="Bob", last_name="Other"),
        "b_admin": staff(b, "dealer_admin"),
        "rm": hq_user("hq_regional_manager", regions=[region]),
    }


def test_list_shows_own_dealer_only_and_filters(net: dict[str, Any]) -> None:
    add_absence(net["a"], net["anna"], D(2026, 3, 2), D(2026, 3, 4), note="Ski trip")
    add_absence(net["a"], net["carl"], D(2026, 4, 1), D(2026, 4, 1), reason="training")
    add_absence(net["b"], net["bob"], D(2026, 3, 2), D(2026, 3, 4), note="Secret B note")
    client = session_client(net["manager"])
    response = client.get("/network/absences/")
    page = response.content.decode()
    assert "Bob Other" not in page and "Secret B note" not in page
    assert 'data-testid="absence-add"' in page
    table = table_html(response)
    assert "Anna Berg" in table and "Carl Dahl" in table and "Ski trip" in table

    anna = Membership.objects.get(user=net["anna"])
    filtered = table_html(client.get(f"/network/absences/?membership={anna.pk}"))
    assert "Anna Berg" in filtered and "Carl Dahl" not in filtered
    by_reason = table_html(client.get("/network/absences/?reason=training"))
    assert "Carl Dahl" in by_reason and "Ski trip" not in by_reason
    by_date = table_html(client.get("/network/absences/?absent_from=2026-03-05"))
    assert "Carl Dahl" in by_date and "Ski trip" not in by_date

    # Another dealer's staff member cannot even be chosen in the filter.
    bob = Membership.objects.get(user=net["bob"])
    foreign = client.get(f"/network/absences/?membership={bob.pk}").content.decode()
    assert "Bob Other" not in foreign and "Select a valid choice" in foreign


def test_list_query_count_does_not_grow_with_rows(
    net: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        person = staff(net["a"], "consultant")
        add_absence(net["a"], person, D(2026, 1, 1 + i), D(2026, 1, 2 + i))
    client = session_client(net["manager"])
    client.get("/network/absences/")  # warm caches (content types, sessions)
    with django_assert_max_num_queries(25):
        response = client.get("/network/absences/")
    assert response.status_code == 200


def test_create_with_bad_input_shows_the_error_and_changes_nothing(net: dict[str, Any]) -> None:
    add_absence(net["a"], net["anna"], D(2026, 3, 2), D(2026, 3, 4))
    before = rows(net["a"])
    client = session_client(net["manager"])
    anna = Membership.objects.get(user=net["anna"])
    response = client.post(
        "/network/absences/new/",
        absence_form(anna, "2026-03-04", "2026-03-08"),
    )
    assert response.status_code == 200
    assert "already absent from 2026-03-02 to 2026-03-04" in response.content.decode()
    response = client.post(
        "/network/absences/new/",
        absence_form(anna, "2026-05-04", "2026-05-01"),
    )
    assert "must end on or after its first day" in response.content.decode()
    bob = Membership.objects.get(user=net["bob"])
    response = client.post(
        "/network/absences/new/",
        absence_form(bob, "2026-05-01", "2026-05-02"),
    )
    assert "Select a valid choice" in response.content.decode()
    assert rows(net["a"]) == before
    assert rows(net["b"]) == []


def test_create_edit_delete(net: dict[str, Any]) -> None:
    client = session_client(net["manager"])
    carl = Membership.objects.get(user=net["carl"])
    response = client.post(
        "/network/absences/new/",
        absence_form(carl, "2026-06-01", "2026-06-05", "leave", note="Summer"),
    )
    assert response.status_code == 302
    [(pk, member, start, end, reason, note)] = rows(net["a"])
    assert (member, start, end, reason, note) == (
        carl.pk,
        D(2026, 6, 1),
        D(2026, 6, 5),
        "leave",
        "Summer",
    )
    edit = client.get(f"/network/absences/{pk}/edit/")
    assert 'value="2026-06-01"' in edit.content.decode()
    response = client.post(
        f"/network/absences/{pk}/edit/",
        absence_form(carl, "2026-06-02", "2026-06-05", note=""),
    )
    assert response.status_code == 302
    assert rows(net["a"])[0][2:5] == (D(2026, 6, 2), D(2026, 6, 5), "sick")
    assert client.get(f"/network/absences/{pk}/delete/").status_code == 200
    assert client.post(f"/network/absences/{pk}/delete/").status_code == 302
    assert rows(net["a"]) == []


def test_another_dealers_absence_is_404_and_unchanged(net: dict[str, Any]) -> None:
    theirs = add_absence(net["b"], net["bob"], D(2026, 3, 2), D(2026, 3, 4))
    before = rows(net["b"])
    client = session_client(net["manager"])
    carl = Membership.objects.get(user=net["carl"])
    payload = absence_form(carl, "2026-03-02", "2026-03-04")
    assert client.get(f"/network/absences/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/network/absences/{theirs.pk}/edit/", payload).status_code == 404
    assert client.get(f"/network/absences/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/network/absences/{theirs.pk}/delete/").status_code == 404
    assert rows(net["b"]) == before
    assert rows(net["a"]) == []


def test_roles_without_the_right_get_403(net: dict[str, Any]) -> None:
    mine = add_absence(net["a"], net["anna"], D(2026, 3, 2), D(2026, 3, 4))
    consultant = session_client(net["carl"])
    assert consultant.get("/network/absences/").status_code == 403
    assert consultant.get("/network/absences/new/").status_code == 403
    assert consultant.post(f"/network/absences/{mine.pk}/delete/").status_code == 403
    assert len(rows(net["a"])) == 1


def test_regional_manager_reads_but_cannot_write(net: dict[str, Any]) -> None:
    mine = add_absence(net["a"], net["anna"], D(2026, 3, 2), D(2026, 3, 4))
    add_absence(net["b"], net["bob"], D(2026, 3, 2), D(2026, 3, 4))
    before_a, before_b = rows(net["a"]), rows(net["b"])
    client = session_client(net["rm"])
    response = client.get("/network/absences/")
    page = response.content.decode()
    assert "Anna Berg" in table_html(response)
    assert "Bob Other" not in page  # b is in another region
    assert 'data-testid="absence-add"' not in page
    anna = Membership.objects.get(user=net["anna"])
    payload = absence_form(anna, "2026-07-01", "2026-07-02")
    assert client.post("/network/absences/new/", payload).status_code == 403
    assert client.post(f"/network/absences/{mine.pk}/edit/", payload).status_code == 403
    assert client.post(f"/network/absences/{mine.pk}/delete/").status_code == 403
    assert rows(net["a"]) == before_a and rows(net["b"]) == before_b


def test_anonymous_is_sent_to_login() -> None:
    from django.test import Client

    response = Client().get("/network/absences/")
    assert response.status_code == 302 and "login" in response["Location"]
