"""Orders and delivery: only from an accepted quote, deposit and balance, VIN, the checklist,
delivery blocked while money is open, and delivery closing the lead as won with the
after-delivery calls planned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Lead, Stage
from sales import services
from sales.models import Order, Payment, Quote
from sales.selectors import deliveries_for, pending_discounts, test_drives_for
from tests.sales.conftest import Showroom

pytestmark = pytest.mark.django_db

VIN = "WAUZZZ8V0KA123456"


def accepted_quote(room: Showroom, lead: Lead | None = None, **spec: Any) -> Quote:
    lead = lead or room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead, **spec)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    return quote


def place(room: Showroom, quote: Quote, **kwargs: Any) -> Order:
    data = {"deposit_required": Decimal("2000"), **kwargs}
    with as_dealer(room.dealer):
        return services.create_order(quote=quote, actor=room.alice, **data).obj


@pytest.mark.parametrize("status", ["draft", "sent"])
def test_order_only_from_an_accepted_quote(room: Showroom, status: str) -> None:
    quote = room.quote(room.lead())
    if status == "sent":
        with as_dealer(room.dealer):
            services.send_quote(quote=quote, actor=room.alice)
    with (
        as_dealer(room.dealer),
        pytest.raises(ValidationError, match="only be placed from an accepted quote"),
    ):
        services.create_order(quote=quote, actor=room.alice, deposit_required=Decimal("1000"))
    with as_dealer(room.dealer):
        assert not Order.objects.exists()


def test_one_order_per_quote(room: Showroom) -> None:
    quote = accepted_quote(room)
    first = place(room, quote)
    assert first.number == 1  # the dealer's first order
    with pytest.raises(ValidationError, match=r"already has an order \(O1\)"):
        place(room, quote)


def test_balance_is_total_less_trade_in_less_payments(room: Showroom) -> None:
    quote = accepted_quote(room, trade_in_description="Golf", trade_in_value="5000")
    order = place(room, quote, deposit_paid=Decimal("1500"))
    with as_dealer(room.dealer):
        assert services.order_balance(order) == Decimal("14990.00")  # 21490 − 5000 − 1500
        services.record_payment(order=order, actor=room.alice, kind="balance", amount="10000")
        services.record_payment(order=order, actor=room.alice, kind="refund", amount="500")
        assert services.order_balance(order) == Decimal("5490.00")
        with pytest.raises(ValidationError) as exc:
            services.record_payment(order=order, actor=room.alice, kind="balance", amount="5490.01")
        assert "more than the open balance (EUR 5,490.00)" in exc.value.message_dict["amount"][0]
        with pytest.raises(ValidationError):
            services.record_payment(order=order, actor=room.alice, kind="deposit", amount="0")
        assert Payment.objects.filter(order=order).count() == 3


@pytest.mark.parametrize(
    ("vin", "text"),
    [
        ("WAUZZZ8V0KA12345", "exactly 17 characters; this one has 16"),
        ("WAUZZZ8V0KA12345I", "except I, O and Q"),
        ("WAUZZZ8V0KA1234O6", "except I, O and Q"),
    ],
)
def test_vin_is_validated(room: Showroom, vin: str, text: str) -> None:
    order = place(room, accepted_quote(room))
    with as_dealer(room.dealer), pytest.raises(ValidationError) as exc:
        services.update_order(order=order, actor=room.alice, expected_delivery=None, vin=vin)
    assert text in exc.value.message_dict["vin"][0]
    with as_dealer(room.dealer):
        order.refresh_from_db()
    assert order.vin == ""


def test_vin_is_normalised(room: Showroom) -> None:
    order = place(room, accepted_quote(room))
    with as_dealer(room.dealer):
        services.update_order(
            order=order, actor=room.alice, expected_delivery=None, vin="wauzzz8v0ka 123456"
        )
        order.refresh_from_db()
    assert order.vin == VIN


def test_order_moves_the_lead_to_order_with_grade_o_once_deposit_and_date_are_in(
    room: Showroom,
) -> None:
    lead = room.lead(stage=Stage.QUOTE, grade="A")
    quote = accepted_quote(room, lead)
    delivery = dealer_today(room.dealer) + dt.timedelta(days=21)
    with as_dealer(room.dealer):
        outcome = services.create_order(
            quote=quote, actor=room.alice, deposit_required=Decimal("2000")
        )
        lead.refresh_from_db()
        assert lead.stage == Stage.QUOTE and "Deposit received" in outcome.notes[0]
        order = outcome.obj
        services.record_payment(order=order, actor=room.alice, kind="deposit", amount="2000")
        services.update_order(order=order, actor=room.alice, expected_delivery=delivery, vin="")
        lead.refresh_from_db()
    assert lead.stage == Stage.ORDER and lead.grade == "O"


def ready_order(room: Showroom, lead: Lead) -> Order:
    quote = accepted_quote(room, lead)
    delivery = dealer_today(room.dealer) + dt.timedelta(days=7)
    order = place(room, quote, deposit_paid=Decimal("2000"), expected_delivery=delivery, vin=VIN)
    with as_dealer(room.dealer):
        services.set_checklist(
            order=order, actor=room.alice, done=["pdi_done", "documents", "handover_prep"]
        )
    return order


def test_delivery_is_blocked_while_a_balance_is_open(room: Showroom) -> None:
    lead = room.lead(stage=Stage.QUOTE)
    order = ready_order(room, lead)
    with as_dealer(room.dealer):
        with pytest.raises(ValidationError) as exc:
            services.deliver_order(order=order, actor=room.alice)
        assert exc.value.messages == [
            "Delivery is blocked: a balance of EUR 19,490.00 is still open. Record the payment first."
        ]
        order.refresh_from_db()
        lead.refresh_from_db()
        assert order.status == Order.Status.OPEN and order.delivered_at is None
        assert lead.is_open and lead.stage == Stage.ORDER
        assert not FollowUp.objects.filter(lead=lead, kind=FollowUp.Kind.AFTER_DELIVERY).exists()


def test_delivery_needs_vin_and_checklist(room: Showroom) -> None:
    quote = accepted_quote(room)
    order = place(room, quote, deposit_paid=Decimal("21490"))
    with as_dealer(room.dealer):
        blockers = services.delivery_blockers(order)
        assert blockers == [
            "Enter the vehicle's VIN before delivery.",
            "Complete the pre-delivery checklist first: Pre-delivery inspection done; Registration and "
            "documents ready; Handover prepared: features, service plan, accessories fitted.",
        ]
        with pytest.raises(ValidationError):
            services.deliver_order(order=order, actor=room.alice)


def test_delivered_closes_the_lead_as_won_and_plans_the_after_delivery_calls(
    room: Showroom,
) -> None:
    lead = room.lead(stage=Stage.QUOTE, grade="H")
    order = ready_order(room, lead)
    with as_dealer(room.dealer):
        services.record_payment(order=order, actor=room.alice, kind="balance", amount="19490")
        delivered = services.deliver_order(order=order, actor=room.alice)
        order.refresh_from_db()
        lead.refresh_from_db()
        calls = list(
            FollowUp.objects.filter(lead=lead, kind=FollowUp.Kind.AFTER_DELIVERY).order_by("due_at")
        )
    assert delivered.status == order.status == Order.Status.DELIVERED
    assert order.delivered_by == room.alice
    assert lead.stage == Stage.DELIVERED and not lead.is_open and lead.closed_at is not None
    assert lead.credited_to == room.alice and lead.grade == "O"
    assert [(c.due_at - order.delivered_at).days for c in calls] == [3, 30]
    assert all(c.owner == room.alice and c.done_at is None for c in calls)
    with as_dealer(room.dealer), pytest.raises(ValidationError, match="is “Delivered”"):
        services.deliver_order(order=order, actor=room.alice)


def test_order_page_payments_checklist_and_delivery(room: Showroom, signed_in: Any) -> None:
    lead = room.lead(stage=Stage.QUOTE)
    quote = accepted_quote(room, lead)
    client = signed_in(room.alice)
    create_url = reverse("sales:order_create", args=[quote.pk])
    assert client.get(create_url).status_code == 200
    bad = client.post(create_url, {"deposit_required": "2000", "vin": "SHORT"}, follow=True)
    assert bad.redirect_chain[-1] == (f"{create_url}#order-form", 303)
    assert "exactly 17 characters" in bad.content.decode()
    delivery = (dealer_today(room.dealer) + dt.timedelta(days=10)).isoformat()
    made = client.post(
        create_url,
        {
            "deposit_required": "2000",
            "deposit_paid": "2000",
            "expected_delivery": delivery,
            "vin": VIN,
        },
    )
    assert made.status_code == 302
    with as_dealer(room.dealer):
        order = Order.objects.get(quote=quote)
    page = client.get(made["Location"])
    html = page.content.decode()
    assert "EUR 19,490.00" in html and "Delivery is blocked" in html
    blocked = client.post(reverse("sales:order_deliver", args=[order.pk]), follow=True)
    assert blocked.redirect_chain[-1] == (reverse("sales:order_detail", args=[order.pk]), 303)
    assert "Delivery is blocked: a balance of EUR 19,490.00" in blocked.content.decode()
    client.post(
        reverse("sales:order_payment", args=[order.pk]), {"kind": "balance", "amount": "19490"}
    )
    client.post(
        reverse("sales:order_checklist", args=[order.pk]),
        {"done": ["pdi_done", "documents", "handover_prep"]},
    )
    done = client.post(reverse("sales:order_deliver", args=[order.pk]), follow=True)
    assert done.status_code == 200 and 'data-testid="delivered"' in done.content.decode()
    with as_dealer(room.dealer):
        lead.refresh_from_db()
    assert lead.stage == Stage.DELIVERED and not lead.is_open


def test_api_order_flow(room: Showroom, signed_in: Any) -> None:
    lead = room.lead(stage=Stage.QUOTE)
    draft = room.quote(lead)
    client = signed_in(room.alice)
    refused = client.post(
        "/api/orders/",
        {"quote": draft.pk, "deposit_required": "1000"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "accepted quote" in str(refused.json())
    quote = accepted_quote(room, room.lead(stage=Stage.QUOTE))
    made = client.post(
        "/api/orders/",
        {"quote": quote.pk, "deposit_required": "1000", "deposit_paid": "1000", "vin": VIN},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    order_id = made.json()["id"]
    assert made.json()["balance"] == "20490.00"
    blocked = client.post(f"/api/orders/{order_id}/deliver/", content_type="application/json")
    assert blocked.status_code == 400 and "balance of EUR 20,490.00" in str(blocked.json())
    paid = client.post(
        f"/api/orders/{order_id}/payments/",
        {"kind": "balance", "amount": "20490.00"},
        content_type="application/json",
    )
    assert paid.status_code == 201 and paid.json()["balance"] == "0.00"
    client.post(
        f"/api/orders/{order_id}/checklist/",
        {"done": ["pdi_done", "documents", "handover_prep"]},
        content_type="application/json",
    )
    delivered = client.post(f"/api/orders/{order_id}/deliver/", content_type="application/json")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"


# --- selectors for "my day" and the approvals inbox -------------------------------------------------


def test_my_day_selectors_and_pending_discounts(room: Showroom) -> None:
    lead = room.lead()
    tomorrow = room.tomorrow
    drive = room.drive(lead, room.at(tomorrow, 9), actor=room.alice)
    quote = accepted_quote(room, room.lead(stage=Stage.QUOTE))
    order = place(room, quote, expected_delivery=tomorrow)
    pending = room.quote(room.lead(), discount="4000")
    with as_dealer(room.dealer):
        assert list(
            test_drives_for(user=room.alice, start=tomorrow, end=tomorrow + dt.timedelta(days=1))
        ) == [drive]
        assert (
            list(
                test_drives_for(user=room.bob, start=tomorrow, end=tomorrow + dt.timedelta(days=1))
            )
            == []
        )
        assert list(
            deliveries_for(user=room.alice, start=tomorrow, end=tomorrow + dt.timedelta(days=1))
        ) == [order]
        assert (
            list(
                deliveries_for(
                    user=room.alice, start=room.at(tomorrow, 0), end=room.at(tomorrow, 0)
                )
            )
            == []
        )
        assert list(pending_discounts(dealer=room.dealer)) == [pending]
