"""The wizard pages: roles, preview, per-item manual choice (htmx), apply, other dealers' ids."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dealers.models import Membership, ReassignmentBatch, ReassignmentItem
from dms.tenancy.context import as_dealer
from leads.models import Customer
from tests.factories import signed_in_client

from ._world import Book, held_by, make_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> Book:
    return make_book()


def test_consultant_may_not_open_the_wizard(book: Book) -> None:
    client = signed_in_client(book.eve)
    member = book.dora_membership
    assert client.get(reverse("dealers:handover:home")).status_code == 403
    assert client.get(reverse("dealers:handover:wizard", args=[member.pk])).status_code == 403


def test_full_wizard_flow(book: Book) -> None:
    client = signed_in_client(book.manager)
    member = book.dora_membership
    home = client.get(reverse("dealers:handover:home"))
    assert home.status_code == 200 and "Dora Departing" in home.content.decode()
    # mark leaving, bad input first
    url = reverse("dealers:handover:leave", args=[member.pk])
    bad = client.post(url, {"leaving_on": "not a date"})
    assert bad.status_code == 400
    member.refresh_from_db()
    assert member.leaving_on is None
    today = timezone.now().date()
    response = client.post(url, {"leaving_on": today.isoformat(), "reason": "New job"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active  # today: processed at once
    # wizard: the book, then a preview
    wizard = client.get(response["Location"])
    assert wizard.status_code == 200
    assert 'data-testid="book-customers">4<' in wizard.content.decode()
    bad = client.post(response["Location"], {"strategy": "round_robin"})
    assert bad.status_code == 400 and "at least one consultant" in bad.content.decode()
    with as_dealer(book.dealer):
        assert not ReassignmentBatch.objects.exists()
    preview = client.post(
        response["Location"],
        {
            "strategy": "round_robin",
            "targets": [book.eve.pk, book.finn.pk],
            "grade_H": book.finn.pk,
        },
    )
    assert preview.status_code == 302
    with as_dealer(book.dealer):
        batch = ReassignmentBatch.objects.get()
    page = client.get(preview["Location"])
    assert page.status_code == 200 and "Preview" in page.content.decode()
    assert held_by(book.dealer, book.dora)["customers"] == 4  # nothing changed yet
    # manual choice of one item via htmx: the row comes back
    with as_dealer(book.dealer):
        item = ReassignmentItem.objects.filter(batch=batch, to_user=book.finn).first()
    assert item is not None
    row = client.post(
        preview["Location"], {"item": item.pk, "to_user": book.eve.pk}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200 and f'id="item-{item.pk}"' in row.content.decode()
    with as_dealer(book.dealer):
        item.refresh_from_db()
        assert item.to_user_id == book.eve.pk
    # apply, then apply again: no-op with a message
    applied = client.post(reverse("dealers:handover:batch-apply", args=[batch.pk]), follow=True)
    assert "Handover applied" in applied.content.decode()
    assert held_by(book.dealer, book.dora)["customers"] == 0
    again = client.post(reverse("dealers:handover:batch-apply", args=[batch.pk]), follow=True)
    assert "already applied" in again.content.decode()
    with as_dealer(book.dealer):
        assert Customer.objects.get(pk=item.customer_id).owner_id == book.eve.pk


def test_other_dealers_objects_are_404(book: Book) -> None:
    other = make_book(n_customers=1, extras=False)
    with as_dealer(other.dealer):
        from dealers.handover import services

        batch = services.plan_batch(
            dealer=other.dealer, from_user=other.dora, actor=other.manager, targets=[other.eve]
        )
    client = signed_in_client(book.manager)
    foreign_member = Membership.objects.get(user=other.dora)
    assert (
        client.get(reverse("dealers:handover:wizard", args=[foreign_member.pk])).status_code == 404
    )
    assert (
        client.get(reverse("dealers:handover:leave", args=[foreign_member.pk])).status_code == 404
    )
    assert client.get(reverse("dealers:handover:batch", args=[batch.pk])).status_code == 404
    response = client.post(reverse("dealers:handover:batch-apply", args=[batch.pk]))
    assert response.status_code == 404
    with as_dealer(other.dealer):
        batch.refresh_from_db()
        assert batch.status == "draft"


def test_sales_manager_reassigns_but_cannot_mark_leaving(book: Book) -> None:
    from tests.factories import staff

    sm = staff(book.dealer, "sales_manager")
    client = signed_in_client(sm)
    member = book.dora_membership
    assert client.get(reverse("dealers:handover:wizard", args=[member.pk])).status_code == 200
    assert client.get(reverse("dealers:handover:leave", args=[member.pk])).status_code == 403


def test_handover_home_is_in_the_menu_and_offers_hand_over_only_for_sellers(book: Book) -> None:
    from tests.factories import staff

    technician = staff(book.dealer, "technician", first_name="Tom", last_name="Tech")
    client = signed_in_client(book.manager)
    home = reverse("dealers:handover:home")
    html = client.get(home).content.decode()
    assert f'href="{home}"' in client.get("/").content.decode()  # the sidebar entry
    dora = html.split('data-testid="staff-' + book.dora.username + '"', 1)[1].split("</tr>", 1)[0]
    tom = html.split('data-testid="staff-' + technician.username + '"', 1)[1].split("</tr>", 1)[0]
    assert "Hand over customers" in dora
    assert "Hand over customers" not in tom and "Mark as leaving" in tom
    assert f'href="{home}"' not in signed_in_client(book.eve).get("/").content.decode()
