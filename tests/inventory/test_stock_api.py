"""The parts store's API (issue 15): look-up with supersession, the stock list with the page's
filters, a part's ledger, receive / issue / reserve, reservations, who else has a part (bands,
audited) and inter-dealer transfers step by step. Bad input answers 400 with the message and
changes nothing; another dealer's reservations and transfers answer 404; roles without the parts
right get 403."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.stock import services
from inventory.stock.models import PartReservation, PartStock, PartTransfer, StockMovement
from tests.api.support import results, token_client
from tests.factories import DealerFactory, staff

from .stock_helpers import part, stock, supersede

pytestmark = pytest.mark.django_db

STOCK = "/api/parts-stock/"
LOOKUP = "/api/parts-stock/lookup/"
TRANSFERS = "/api/parts-transfers/"
RESERVATIONS = "/api/parts-reservations/"


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
        "a": a, "b": b, "old": old, "new": new,
        "api_a": token_client(clerk_a), "api_b": token_client(clerk_b),
    }  # fmt: skip


def balance(dealer: Any, item: Any) -> Decimal:
    with as_dealer(dealer):
        row = PartStock.objects.filter(part=item).first()
    return row.on_hand if row else Decimal(0)


def movements(dealer: Any) -> int:
    with as_dealer(dealer):
        return StockMovement.objects.count()


# --- look-up and lists -----------------------------------------------------------------------------


def test_an_old_number_finds_the_part_in_force_with_its_stock(shop) -> None:
    answer = shop["api_a"].get(LOOKUP, {"number": "3000-a"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["asked"] == "3000-A" and body["superseded"] is True
    assert body["part"]["number"] == "3000-B"
    # Older numbers first (used first), the part in force last.
    assert [(line["part"]["number"], line["on_hand"]) for line in body["lines"]] == [
        ("3000-A", "1.00"),
        ("3000-B", "0.00"),
    ]
    assert body["available"] == "1.00"


def test_a_lookup_without_a_number_or_for_an_unknown_one(shop) -> None:
    missing = shop["api_a"].get(LOOKUP)
    assert missing.status_code == 400
    assert missing.json() == {"number": ["Give a part number."]}
    unknown = shop["api_a"].get(LOOKUP, {"number": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No part has this number."}


def test_the_stock_list_is_the_dealers_own_with_the_pages_filters(shop) -> None:
    a, client = shop["a"], shop["api_a"]
    extra = part("4100-X", description="Oil filter")
    stock(a, extra, 2)
    with as_dealer(a):
        services.set_levels(
            dealer_id=a.pk, part=extra, bin="B-02", minimum=1, reorder_point=3, maximum=10,
            actor=None,
        )  # fmt: skip
        services.set_levels(
            dealer_id=a.pk, part=shop["old"], bin="A-01", minimum=0, reorder_point=0, maximum=0,
            actor=None,
        )  # fmt: skip
    rows = results(client.get(STOCK))
    assert [r["part"]["number"] for r in rows] == ["3000-A", "4100-X"]  # B's 3000-B is B's
    assert rows[1]["available"] == "2.00" and rows[1]["bin"] == "B-02"
    assert [r["part"]["number"] for r in results(client.get(STOCK, {"q": "41"}))] == ["4100-X"]
    assert [r["part"]["number"] for r in results(client.get(STOCK, {"q": "oil"}))] == ["4100-X"]
    by_bin = results(client.get(STOCK, {"bin_from": "A-00", "bin_to": "A-09"}))
    assert [r["part"]["number"] for r in by_bin] == ["3000-A"]
    due = results(client.get(STOCK, {"to_reorder": "true"}))
    assert [r["part"]["number"] for r in due] == ["4100-X"]
    assert client.get(STOCK, {"q": "x" * 101}).status_code == 400


def test_the_stock_list_costs_the_same_queries_for_more_rows(shop) -> None:
    client = shop["api_a"]
    client.get(STOCK)  # warm: the token, the session of the scope
    with CaptureQueriesContext(connection) as few:
        client.get(STOCK)
    for n in range(5):
        stock(shop["a"], part(f"5000-{n}"), 1)
    with CaptureQueriesContext(connection) as many:
        assert len(results(client.get(STOCK))) == 6
    assert len(many) == len(few)


def test_a_parts_ledger_newest_first_and_only_the_dealers(shop) -> None:
    a, client, old = shop["a"], shop["api_a"], shop["old"]
    stock(a, old, 3)
    answer = client.get(f"{STOCK}{old.pk}/movements/")
    rows = results(answer)
    assert [r["quantity"] for r in rows] == ["3.00", "1.00"]
    assert rows[0]["kind"] == "receipt" and rows[0]["part_number"] == "3000-A"
    assert answer.json()["count"] == 2
    # B's receipt of 3000-B is not in A's ledger of 3000-B.
    assert results(client.get(f"{STOCK}{shop['new'].pk}/movements/")) == []
    assert client.get(f"{STOCK}987654321/movements/").status_code == 404


# --- stock writes ----------------------------------------------------------------------------------


def test_receive_issue_and_reserve(shop) -> None:
    a, client, old, new = shop["a"], shop["api_a"], shop["old"], shop["new"]
    received = client.post(
        f"{STOCK}{new.pk}/receive/",
        {"quantity": "4", "unit_cost": "12.50", "reference": "DN 881"},
        format="json",
    )
    assert received.status_code == 201, received.content
    assert received.json()["movements"][0]["reference"] == "DN 881"
    assert received.json()["stock"]["available"] == "5.00"  # 1 of the old number + 4
    assert balance(a, new) == 4
    # An issue takes the old number's stock first.
    issued = client.post(
        f"{STOCK}{new.pk}/issue/", {"quantity": "2", "reference": "CS 2"}, format="json"
    )
    assert issued.status_code == 201, issued.content
    assert [m["part_number"] for m in issued.json()["movements"]] == ["3000-A", "3000-B"]
    assert (balance(a, old), balance(a, new)) == (0, 3)
    reserved = client.post(
        f"{STOCK}{new.pk}/reserve/", {"quantity": "2", "reference": "RO 77"}, format="json"
    )
    assert reserved.status_code == 201, reserved.content
    (reservation,) = reserved.json()["reservations"]
    assert reservation["status"] == "open" and reservation["quantity"] == "2.00"
    assert reserved.json()["stock"]["available"] == "1.00"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("issue", {"quantity": "9", "reference": "CS 1"}, "Only 1 of 3000-B available; 9 asked. "
         "Nothing was changed."),
        ("reserve", {"quantity": "9", "reference": "RO 1"}, "Only 1 of 3000-B available; 9 "
         "asked. Nothing was changed."),
        ("receive", {"quantity": "1.5", "reference": "DN 1"}, "3000-B is counted in whole units "
         "(piece)."),
        ("receive", {"quantity": "0", "reference": "DN 1"}, "The quantity must be more than zero."),
        ("reserve", {"quantity": "1", "reference": "  "}, None),
    ],
)  # fmt: skip
def test_bad_stock_input_is_a_400_with_the_message_and_changes_nothing(
    shop, path: str, body: dict[str, str], message: str | None
) -> None:
    a, new = shop["a"], shop["new"]
    before = movements(a)
    answer = shop["api_a"].post(f"{STOCK}{new.pk}/{path}/", body, format="json")
    assert answer.status_code == 400, answer.content
    if message:
        assert answer.json() == {"non_field_errors": [message]}
    assert movements(a) == before and balance(a, shop["old"]) == 1
    with as_dealer(a):
        assert not PartReservation.objects.exists()


def test_a_missing_field_names_the_field(shop) -> None:
    answer = shop["api_a"].post(f"{STOCK}{shop['new'].pk}/receive/", {}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"quantity", "reference"}
    unknown = shop["api_a"].post(
        f"{STOCK}987654321/receive/", {"quantity": "1", "reference": "x"}, format="json"
    )
    assert unknown.status_code == 404


def test_a_repeated_post_with_the_same_idempotency_key_receives_once(shop) -> None:
    a, client, new = shop["a"], shop["api_a"], shop["new"]
    url, body = f"{STOCK}{new.pk}/receive/", {"quantity": "3", "reference": "DN 5"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="receive-dn5-0001")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="receive-dn5-0001")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert balance(a, new) == 3


# --- reservations ----------------------------------------------------------------------------------


def test_reservations_are_listed_released_and_issued(shop) -> None:
    b, client = shop["b"], shop["api_b"]
    with as_dealer(b):
        (first,) = services.reserve(
            dealer_id=b.pk, part=shop["new"], quantity=2, reference="RO 55", actor=None
        )
        (second,) = services.reserve(
            dealer_id=b.pk, part=shop["new"], quantity=1, reference="RO 56", actor=None
        )
    assert [r["reference"] for r in results(client.get(RESERVATIONS))] == ["RO 55", "RO 56"]
    released = client.post(f"{RESERVATIONS}{first.pk}/release/")
    assert released.status_code == 200 and released.json()["status"] == "released"
    issued = client.post(f"{RESERVATIONS}{second.pk}/issue/")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert balance(b, shop["new"]) == 6
    # A closed reservation cannot move again: a 400 that says so, nothing changed.
    again = client.post(f"{RESERVATIONS}{first.pk}/release/")
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": ["This reservation is already closed. Nothing was changed."]
    }
    assert results(client.get(RESERVATIONS)) == []


def test_another_dealers_reservation_is_not_found(shop) -> None:
    b = shop["b"]
    with as_dealer(b):
        (reservation,) = services.reserve(
            dealer_id=b.pk, part=shop["new"], quantity=2, reference="RO 55", actor=None
        )
    for step in ("release", "issue"):
        answer = shop["api_a"].post(f"{RESERVATIONS}{reservation.pk}/{step}/")
        assert answer.status_code == 404
    assert results(shop["api_a"].get(RESERVATIONS)) == []
    with as_dealer(b):
        assert PartReservation.objects.get(pk=reservation.pk).status == "open"
        assert PartStock.objects.get(part=shop["new"]).reserved == 2


# --- network and transfers -------------------------------------------------------------------------


def test_who_else_has_the_part_bands_only_and_audited(shop) -> None:
    answer = shop["api_a"].get(f"{STOCK}{shop['new'].pk}/network/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["part"]["number"] == "3000-B"
    assert body["dealers"] == [
        {
            "dealer": shop["b"].pk,
            "name": "Beta Cars",
            "region": shop["b"].region.name,
            "city": shop["b"].city,
            "band": 3,
            "band_label": "more than 5",
        }
    ]
    assert AuditEntry.objects.filter(
        action=AuditAction.NETWORK_STOCK_READ, dealer_id=shop["a"].pk
    ).exists()


def test_a_transfer_through_the_api(shop) -> None:
    a, b, new = shop["a"], shop["b"], shop["new"]
    api_a, api_b = shop["api_a"], shop["api_b"]
    asked = api_a.post(
        TRANSFERS,
        {"supplier": b.pk, "part": new.pk, "quantity": "2", "note": "VOR"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    incoming = asked.json()
    assert (incoming["side"], incoming["status"], incoming["partner_name"]) == (
        "in",
        "requested",
        "Beta Cars",
    )
    (outgoing,) = results(api_b.get(TRANSFERS, {"side": "out"}))
    assert outgoing["partner"] == a.pk and outgoing["quantity"] == "2.00"
    # Each dealer takes its own steps only, on its own side's id.
    wrong = api_a.post(f"{TRANSFERS}{incoming['id']}/accept/")
    assert wrong.status_code == 400
    assert wrong.json() == {"non_field_errors": ["The other dealer takes this step."]}
    assert api_a.post(f"{TRANSFERS}{outgoing['id']}/accept/").status_code == 404
    assert api_a.get(f"{TRANSFERS}{outgoing['id']}/").status_code == 404
    early = api_a.post(f"{TRANSFERS}{incoming['id']}/receive/")
    assert early.status_code == 400
    assert early.json() == {
        "non_field_errors": ["This transfer is requested: nothing was changed."]
    }
    accepted = api_b.post(f"{TRANSFERS}{outgoing['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert api_b.post(f"{TRANSFERS}{outgoing['id']}/dispatch/").json()["status"] == "dispatched"
    received = api_a.post(f"{TRANSFERS}{incoming['id']}/receive/")
    assert received.status_code == 200 and received.json()["status"] == "received"
    assert api_a.get(f"{TRANSFERS}{incoming['id']}/").json()["status"] == "received"
    assert (balance(a, new), balance(b, new)) == (2, 5)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"quantity": "0"}, "non_field_errors", "The quantity must be more than zero."),
        ({"quantity": "1.5"}, "non_field_errors", "3000-B is counted in whole units (piece)."),
        ({"supplier": "self"}, "non_field_errors",
         "Choose another dealer: a transfer goes between two dealers."),
        ({"supplier": 987654321}, "supplier", "Choose a dealer of the network."),
        ({"part": 987654321}, "part", "No part has this id."),
    ],
)  # fmt: skip
def test_a_bad_transfer_request_is_a_400_and_makes_no_transfer(
    shop, body: dict[str, Any], field: str, message: str
) -> None:
    data = {"supplier": shop["b"].pk, "part": shop["new"].pk, "quantity": "2", **body}
    if data["supplier"] == "self":
        data["supplier"] = shop["a"].pk
    answer = shop["api_a"].post(TRANSFERS, data, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json() == {field: [message]}
    for dealer in (shop["a"], shop["b"]):
        with as_dealer(dealer):
            assert not PartTransfer.objects.exists()


def test_refusing_needs_a_reason_and_cancelling_is_the_requesters(shop) -> None:
    api_a, api_b = shop["api_a"], shop["api_b"]
    body = {"supplier": shop["b"].pk, "part": shop["new"].pk, "quantity": "1"}
    first = api_a.post(TRANSFERS, body, format="json").json()
    second = api_a.post(TRANSFERS, body, format="json").json()
    out_ids = {r["number"]: r["id"] for r in results(api_b.get(TRANSFERS))}
    refuse = f"{TRANSFERS}{out_ids[first['number']]}/refuse/"
    assert api_b.post(refuse, {"reason": ""}, format="json").status_code == 400
    refused = api_b.post(refuse, {"reason": "kept for a VOR car"}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert api_a.get(f"{TRANSFERS}{first['id']}/").json()["note"] == "kept for a VOR car"
    assert api_b.post(f"{TRANSFERS}{out_ids[second['number']]}/cancel/").status_code == 400
    cancelled = api_a.post(f"{TRANSFERS}{second['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert balance(shop["b"], shop["new"]) == 7


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consultant", "dealer_admin"])
def test_roles_without_the_parts_right_get_403(shop, role: str) -> None:
    client = token_client(staff(shop["a"], role))
    new = shop["new"]
    for url in (STOCK, f"{LOOKUP}?number=3000-A", f"{STOCK}{new.pk}/movements/", TRANSFERS):
        assert client.get(url).status_code == 403, url
    body = {"quantity": "1", "reference": "x"}
    for step in ("receive", "issue", "reserve"):
        assert client.post(f"{STOCK}{new.pk}/{step}/", body, format="json").status_code == 403
    transfer = {"supplier": shop["b"].pk, "part": new.pk, "quantity": "1"}
    assert client.post(TRANSFERS, transfer, format="json").status_code == 403
    assert balance(shop["a"], shop["old"]) == 1


def test_the_workshop_reads_but_does_not_act(shop) -> None:
    client = token_client(staff(shop["a"], "technician"))
    new = shop["new"]
    assert client.get(f"{LOOKUP}?number=3000-A").status_code == 200
    assert client.get(STOCK).status_code == 200
    assert client.get(f"{STOCK}{new.pk}/network/").status_code == 403  # parts clerks only
    body = {"quantity": "1", "reference": "RO 1"}
    assert client.post(f"{STOCK}{new.pk}/reserve/", body, format="json").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.NETWORK_STOCK_READ).exists()
