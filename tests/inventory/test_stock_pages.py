"""The parts store's pages (issue 15): a parts clerk finds a part (an old number too), sees its
stock card, receives, issues and adjusts with clear errors that change nothing, sees who else in
the network has it and asks for a transfer; the other dealer accepts, dispatches, and the
requester receives. Other dealers' rows answer 404; roles without the parts right get 403."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.stock import services
from inventory.stock.models import PartReservation, PartStock, PartTransfer, StockMovement
from tests.factories import DealerFactory, signed_in_client, staff

from .stock_helpers import part, stock, supersede

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict[str, Any]:
    a, b = DealerFactory(code="PA", name="Alpha Autos"), DealerFactory(code="PB", name="Beta Cars")
    old, new = (
        part("3000-A", description="Brake pad set"),
        part("3000-B", description="Brake pad set"),
    )
    supersede(old, new)
    stock(a, old, 1)
    stock(b, new, 7)
    clerk_a, clerk_b = staff(a, "parts_clerk"), staff(b, "parts_clerk")
    return {
        "a": a, "b": b, "old": old, "new": new, "clerk_a": clerk_a, "clerk_b": clerk_b,
        "client_a": signed_in_client(clerk_a), "client_b": signed_in_client(clerk_b),
    }  # fmt: skip


def balance(dealer: Any, item: Any) -> Decimal:
    with as_dealer(dealer):
        row = PartStock.objects.filter(part=item).first()
    return row.on_hand if row else Decimal(0)


def test_the_stock_list_shows_the_dealers_own_parts(shop) -> None:
    page = shop["client_a"].get(reverse("inventory:parts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "3000-A" in html and "3000-B" not in html  # B's stock is B's
    assert "Stock value at average cost: 10.00" in html


def test_an_old_number_finds_the_current_part(shop) -> None:
    page = shop["client_a"].get(reverse("inventory:parts-lookup"), {"number": "3000-a"})
    html = page.content.decode()
    assert "3000-A is replaced by 3000-B." in html
    assert "old number: used first" in html
    unknown = shop["client_a"].get(reverse("inventory:parts-lookup"), {"number": "NOPE"})
    assert "No part has this number." in unknown.content.decode()


def test_receiving_and_issuing_by_form(shop) -> None:
    client, new = shop["client_a"], shop["new"]
    url = reverse("inventory:parts-receive", args=[new.pk])
    assert client.get(url).status_code == 200
    done = client.post(url, {"quantity": "4", "unit_cost": "12.50", "reference": "DN 881"})
    assert done.status_code == 302 and done["Location"] == reverse(
        "inventory:parts-card", args=[new.pk]
    )
    assert balance(shop["a"], new) == 4
    # Issuing more than available: the form says why, nothing changes.
    bad = client.post(
        reverse("inventory:parts-issue", args=[new.pk]), {"quantity": "9", "reference": "CS 1"}
    )
    assert bad.status_code == 200
    assert "Only 5 of 3000-B available; 9 asked. Nothing was changed." in bad.content.decode()
    assert balance(shop["a"], new) == 4 and balance(shop["a"], shop["old"]) == 1
    # A valid issue takes the old number's stock first.
    client.post(
        reverse("inventory:parts-issue", args=[new.pk]), {"quantity": "2", "reference": "CS 2"}
    )
    assert (balance(shop["a"], shop["old"]), balance(shop["a"], new)) == (0, 3)
    card = client.get(reverse("inventory:parts-card", args=[new.pk])).content.decode()
    assert "DN 881" in card and "CS 2" in card


def test_adjusting_needs_a_reason_and_is_audited(shop) -> None:
    url = reverse("inventory:parts-adjust", args=[shop["old"].pk])
    bad = shop["client_a"].post(url, {"counted": "3", "reason": ""})
    assert bad.status_code == 200 and balance(shop["a"], shop["old"]) == 1
    shop["client_a"].post(url, {"counted": "3", "reason": "found in returns shelf"})
    assert balance(shop["a"], shop["old"]) == 3
    assert AuditEntry.objects.filter(
        action=AuditAction.STOCK_ADJUSTED, dealer_id=shop["a"].pk
    ).exists()


def test_reservations_are_released_from_their_page(shop) -> None:
    with as_dealer(shop["b"]):
        (reservation,) = services.reserve(
            dealer_id=shop["b"].pk, part=shop["new"], quantity=2, reference="RO 55", actor=None
        )
    client = shop["client_b"]
    assert "RO 55" in client.get(reverse("inventory:parts-reservations")).content.decode()
    url = reverse("inventory:parts-reservation-release", args=[reservation.pk])
    # Dealer A cannot see B's reservation.
    assert shop["client_a"].get(url).status_code == 404
    assert shop["client_a"].post(url).status_code == 404
    client.post(url)
    with as_dealer(shop["b"]):
        assert PartReservation.objects.get(pk=reservation.pk).status == "released"


def test_network_lookup_and_a_transfer_by_pages(shop) -> None:
    a, b, new = shop["client_a"], shop["client_b"], shop["new"]
    page = a.get(reverse("inventory:parts-network", args=[new.pk])).content.decode()
    table = page.split('data-testid="network-dealers"')[1].split("</table>")[0]
    # The other dealer with a band, never its quantity; not the asking dealer itself.
    assert "Beta Cars" in table and "more than 5" in table and "Alpha Autos" not in table
    assert ">7<" not in table
    assert AuditEntry.objects.filter(action=AuditAction.NETWORK_STOCK_READ).count() == 1
    # A bad quantity: a clear error, no transfer.
    bad = a.post(
        reverse("inventory:parts-network", args=[new.pk]),
        {"supplier": shop["b"].pk, "quantity": "0"},
    )
    assert bad.status_code == 200
    with as_dealer(shop["a"]):
        assert not PartTransfer.objects.exists()
    a.post(
        reverse("inventory:parts-network", args=[new.pk]),
        {"supplier": shop["b"].pk, "quantity": "3", "note": "VOR"},
    )
    with as_dealer(shop["b"]):
        outgoing = PartTransfer.objects.get()
    with as_dealer(shop["a"]):
        incoming = PartTransfer.objects.get()
    listing = b.get(reverse("inventory:parts-transfers")).content.decode()
    assert "Alpha Autos" in listing and "VOR" in listing
    # The requester cannot accept its own request (the other side's row: not found).
    assert a.post(reverse("inventory:parts-transfer-accept", args=[outgoing.pk])).status_code == 404
    b.post(reverse("inventory:parts-transfer-accept", args=[outgoing.pk]))
    b.post(reverse("inventory:parts-transfer-dispatch", args=[outgoing.pk]))
    a.post(reverse("inventory:parts-transfer-receive", args=[incoming.pk]))
    assert (balance(shop["a"], new), balance(shop["b"], new)) == (3, 4)
    with as_dealer(shop["a"]):
        assert StockMovement.objects.filter(kind="transfer_in").count() == 1


def test_a_wrong_step_is_explained(shop) -> None:
    with as_dealer(shop["a"]):
        from inventory.stock import transfers

        incoming = transfers.request_transfer(
            requester=shop["a"], supplier=shop["b"], part=shop["new"], quantity=1, actor=None
        )
    page = shop["client_a"].post(reverse("inventory:parts-transfer-receive", args=[incoming.pk]))
    assert page.status_code == 200
    assert "This transfer is requested: nothing was changed." in page.content.decode()


@pytest.mark.parametrize("role", ["consultant", "sales_manager"])
def test_roles_without_the_parts_right_cannot_change_stock(shop, role) -> None:
    client = signed_in_client(staff(shop["a"], role))
    url = reverse("inventory:parts-receive", args=[shop["new"].pk])
    assert client.post(url, {"quantity": "1", "reference": "x"}).status_code == 403
    assert balance(shop["a"], shop["new"]) == 0


def test_a_technician_reads_but_does_not_act(shop) -> None:
    client = signed_in_client(staff(shop["a"], "technician"))
    assert client.get(reverse("inventory:parts")).status_code == 200
    assert client.get(reverse("inventory:parts-network", args=[shop["new"].pk])).status_code == 403


def test_the_parts_clerks_day_on_the_dashboard(shop) -> None:
    from inventory.stock import transfers

    with as_dealer(shop["a"]):
        transfers.request_transfer(
            requester=shop["a"], supplier=shop["b"], part=shop["new"], quantity=1, actor=None
        )
    page = shop["client_b"].get(reverse("dashboard")).content.decode()
    day = page.split('data-testid="parts-day"')[1].split("</section>")[0]
    assert "Your parts day" in page
    requests = day.split('data-testid="transfer-requests"')[1].split("</a>")[0]
    assert "text-bg-warning" in requests and ">1<" in requests
