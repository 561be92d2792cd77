"""HQ promotions on quotes and orders (issue 14, item 4): a quote takes a promotion offered to
its dealer on its day, the amount comes off after the dealer discount, the order copies it and
takes a unit of the budget; a cancelled order gives it back. Bad input: a clear message on the
promotion, nothing saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from bulletins import promotions
from bulletins.models import Promotion
from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import Stage
from sales import services
from sales.models import Order, Quote
from tests.factories import RegionFactory, hq_user
from tests.sales.conftest import Showroom, quote_spec

pytestmark = pytest.mark.django_db


def promo(room: Showroom, *, publish: bool = True, used: int = 0, **fields: Any) -> Promotion:
    """A promotion valid ten days either side of the dealer's today (never a fixed date)."""
    today = dealer_today(room.dealer)
    admin = hq_user("hq_admin")
    fields = {
        "code": "SPRING",
        "name": "Spring offer",
        "valid_from": today - dt.timedelta(days=10),
        "valid_to": today + dt.timedelta(days=10),
        "kind": "amount",
        "value": Decimal("500.00"),
        "all_dealers": True,
        **fields,
    }
    promotion = promotions.create_promotion(actor=admin, **fields)
    if publish:
        promotions.publish_promotion(actor=admin, promotion=promotion)
    if used:
        Promotion.objects.filter(pk=promotion.pk).update(used=used)
    return promotion


def refused(room: Showroom, **spec: Any) -> str:
    lead = room.lead(stage=Stage.QUOTE)
    with pytest.raises(ValidationError) as exc:
        room.quote(lead, **spec)
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()
    return " ".join(exc.value.message_dict["promotion"])


def test_the_promotion_comes_off_after_the_dealer_discount(room: Showroom) -> None:
    promo(room, stacks_with_discount=True)
    plain = room.quote(room.lead())
    quote = room.quote(room.lead(), discount=300, promotion_code="spring")
    assert quote.promotion is not None and quote.promotion.code == "SPRING"
    assert quote.promotion_amount == Decimal("500.00")
    assert quote.total == plain.total - Decimal("300") - Decimal("500.00")


def test_a_percentage_is_of_the_trims_list_price(room: Showroom) -> None:
    promo(room, kind="percent", value=Decimal("2.50"))
    quote = room.quote(room.lead(), promotion_code="SPRING", accessory_codes=())
    expected = (quote.list_price * Decimal("0.025")).quantize(Decimal("0.01"))
    assert quote.promotion_amount == expected
    assert quote.total == quote.list_price + quote.extras_total - expected


def test_no_promotion_leaves_the_quote_as_it_was(room: Showroom) -> None:
    promo(room)
    quote = room.quote(room.lead())
    assert quote.promotion is None and quote.promotion_amount == 0


@pytest.mark.parametrize(
    "case",
    ["unknown", "draft", "expired", "future", "other_dealer", "other_region", "used_up", "model"],
)
def test_a_promotion_not_offered_is_refused(
    room: Showroom, other_room: Showroom, case: str
) -> None:
    today = dealer_today(room.dealer)
    code = "SPRING"
    if case == "unknown":
        code = "NOPE"
    elif case == "draft":
        promo(room, publish=False)
    elif case == "expired":
        promo(room, valid_from=today - dt.timedelta(days=30), valid_to=today - dt.timedelta(days=1))
    elif case == "future":
        promo(room, valid_from=today + dt.timedelta(days=1), valid_to=today + dt.timedelta(days=9))
    elif case == "other_dealer":
        promo(room, all_dealers=False, dealers=[other_room.dealer])
    elif case == "other_region":
        promo(room, all_dealers=False, regions=[RegionFactory(code="far", name="Far away")])
    elif case == "used_up":
        promo(room, budget=3, used=3)
    elif case == "model":
        from inventory.models import VehicleModel

        promo(room, vehicle_models=[VehicleModel.objects.exclude(code="A3").first()])
    message = refused(room, promotion_code=code)
    assert f"“{code}” is not offered" in message


def test_a_promotion_that_does_not_stack_refuses_a_dealer_discount(room: Showroom) -> None:
    promo(room, stacks_with_discount=False)
    message = refused(room, promotion_code="SPRING", discount=100)
    assert "does not combine with a dealer discount" in message
    assert room.quote(room.lead(), promotion_code="SPRING").promotion_amount == Decimal("500.00")


def test_revising_a_quote_can_drop_or_take_the_promotion(room: Showroom) -> None:
    promo(room)
    quote = room.quote(room.lead(), promotion_code="SPRING")
    with as_dealer(room.dealer):
        services.update_quote(quote=quote, actor=room.alice, spec=quote_spec())
        quote.refresh_from_db()
        assert quote.promotion_id is None and quote.promotion_amount == 0
        services.update_quote(
            quote=quote, actor=room.alice, spec=quote_spec(promotion_code="SPRING")
        )
        quote.refresh_from_db()
    assert quote.promotion_amount == Decimal("500.00")


def accepted(room: Showroom, **spec: Any) -> Quote:
    quote = room.quote(room.lead(stage=Stage.QUOTE), **spec)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    return quote


def place(room: Showroom, quote: Quote) -> Order:
    with as_dealer(room.dealer):
        return services.create_order(
            quote=quote, actor=room.alice, deposit_required=Decimal("1000")
        ).obj


def test_the_order_copies_the_promotion_and_takes_a_unit(room: Showroom) -> None:
    promotion = promo(room, budget=5)
    quote = accepted(room, promotion_code="SPRING")
    order = place(room, quote)
    assert order.promotion_id == promotion.pk
    assert order.promotion_amount == Decimal("500.00")
    assert order.total == quote.total
    promotion.refresh_from_db()
    assert promotion.used == 1


def test_a_used_up_budget_refuses_the_order_and_saves_nothing(room: Showroom) -> None:
    promotion = promo(room, budget=1)
    first, second = accepted(room, promotion_code="SPRING"), accepted(room, promotion_code="SPRING")
    place(room, first)
    with pytest.raises(ValidationError, match="no longer available"):
        place(room, second)
    with as_dealer(room.dealer):
        assert not Order.objects.filter(quote=second).exists()
        assert Order.objects.count() == 1
    promotion.refresh_from_db()
    assert promotion.used == 1


def test_cancelling_the_order_gives_the_unit_back(room: Showroom) -> None:
    promotion = promo(room, budget=1)
    order = place(room, accepted(room, promotion_code="SPRING"))
    with as_dealer(room.dealer):
        with pytest.raises(ValidationError) as exc:
            services.cancel_order(order=order, actor=room.manager, reason="")
        assert "reason" in exc.value.message_dict
        services.cancel_order(order=order, actor=room.manager, reason="Customer withdrew")
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        with pytest.raises(ValidationError, match="cannot be cancelled"):
            services.cancel_order(order=order, actor=room.manager, reason="again")
    promotion.refresh_from_db()
    assert promotion.used == 0
    place(room, accepted(room, promotion_code="SPRING"))  # the unit is free again


# --- pages and API ---------------------------------------------------------------------------


def test_quote_form_offers_the_dealers_promotions_and_shows_the_line(
    room: Showroom, other_room: Showroom, signed_in: Any
) -> None:
    from django.urls import reverse

    promo(room, name="Spring <b>offer</b>", kind="percent", value=Decimal("3.00"))
    promo(room, code="SUD", name="South only", all_dealers=False, dealers=[other_room.dealer])
    lead = room.lead()
    client = signed_in(room.alice)
    url = reverse("sales:quote_create", args=[lead.pk])
    html = client.get(url).content.decode()
    assert 'name="promotion"' in html and 'value="SPRING"' in html
    assert "Spring &lt;b&gt;offer&lt;/b&gt; — 3 % off, until" in html  # escaped, never markup
    assert "South only" not in html
    form = {"trim": "A3-CORE", "discount": "0", "trade_in_value": "0", "payment": "cash"}
    preview = client.post(
        reverse("sales:quote_preview", args=[lead.pk]),
        {**form, "promotion": "SPRING"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="quote-promotion"' in preview
    # Another dealer's promotion typed in by hand: the pricing's message, nothing saved.
    bad = client.post(url, {**form, "promotion": "SUD"}, follow=True).content.decode()
    assert "is not offered for this dealer" in bad
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()
    saved = client.post(url, {**form, "promotion": "SPRING"})
    assert saved.status_code == 302
    detail = client.get(saved["Location"]).content.decode()
    assert 'data-testid="quote-promotion"' in detail and "(SPRING)" in detail
    with as_dealer(room.dealer):
        quote = Quote.objects.get(lead=lead)
    assert quote.promotion_amount > 0
    pdf = client.get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert pdf.status_code == 200


def test_order_page_shows_the_promotion(room: Showroom, signed_in: Any) -> None:
    from django.urls import reverse

    promo(room)
    order = place(room, accepted(room, promotion_code="SPRING"))
    html = signed_in(room.alice).get(reverse("sales:order_detail", args=[order.pk])).content
    assert b'data-testid="order-promotion"' in html and b"Spring offer" in html


def test_api_quote_takes_a_promotion_and_the_order_shows_it(room: Showroom, signed_in: Any) -> None:
    promo(room, stacks_with_discount=False)
    alice = signed_in(room.alice)
    lead = room.lead(stage=Stage.QUOTE)
    refused = alice.post(
        "/api/quotes/",
        {"lead": lead.pk, "trim": "A3-CORE", "promotion": "SPRING", "discount": "100.00"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "does not combine with a dealer discount" in str(refused.json())
    created = alice.post(
        "/api/quotes/",
        {"lead": lead.pk, "trim": "A3-CORE", "promotion": "SPRING"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["promotion"] == "SPRING" and body["promotion_amount"] == "500.00"
    with as_dealer(room.dealer):
        quote = Quote.objects.get(pk=body["id"])
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    order = place(room, quote)
    got = alice.get(f"/api/orders/{order.pk}/").json()
    assert got["promotion"] == "SPRING" and got["promotion_amount"] == "500.00"


def test_a_manager_cancels_on_the_order_page_and_the_unit_goes_back(
    room: Showroom, signed_in: Any
) -> None:
    from django.urls import reverse

    promotion = promo(room, budget=2)
    order = place(room, accepted(room, promotion_code="SPRING"))
    url = reverse("sales:order_cancel", args=[order.pk])
    page = signed_in(room.manager).get(reverse("sales:order_detail", args=[order.pk]))
    assert b'data-testid="order-cancel"' in page.content
    assert signed_in(room.alice).post(url, {"reason": "no"}).status_code == 403
    manager = signed_in(room.manager)
    no_reason = manager.post(url, {"reason": " "}, follow=True).content.decode()
    assert "Say why the order is cancelled" in no_reason
    promotion.refresh_from_db()
    assert promotion.used == 1
    manager.post(url, {"reason": "Customer withdrew"})
    with as_dealer(room.dealer):
        order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    promotion.refresh_from_db()
    assert promotion.used == 0
