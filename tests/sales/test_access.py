"""Who may see and touch test drives, quotes and orders: another dealer's ids and a colleague's
leads answer 404 and change nothing; managers see the whole dealer; HQ reads, never writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import Lead, Stage
from sales import services
from sales.models import DemoVehicle, Order, Quote
from sales.models import TestDrive as Drive
from tests.factories import hq_user, staff
from tests.sales.conftest import Showroom

pytestmark = pytest.mark.django_db

VIN = "WAUZZZ8V0KA123456"


@dataclass
class Objects:
    lead: Lead
    drive: Drive
    quote: Quote
    accepted: Quote
    order: Order


def make_objects(room: Showroom) -> Objects:
    lead = room.lead(stage=Stage.QUOTE)
    tomorrow = room.tomorrow
    with as_dealer(room.dealer):
        drive = room.drive(lead, room.at(tomorrow, 10), actor=room.alice)
        accepted = services.create_quote(lead=lead, actor=room.alice, spec=_spec())
        services.send_quote(quote=accepted, actor=room.alice)
        services.accept_quote(quote=accepted, actor=room.alice)
        accepted_other = services.create_quote(
            lead=lead, actor=room.alice, spec=_spec(colour="RED")
        )
        services.send_quote(quote=accepted_other, actor=room.alice)
        services.accept_quote(quote=accepted_other, actor=room.alice)
        order = services.create_order(
            quote=accepted_other,
            actor=room.alice,
            deposit_required=Decimal("1000"),
            deposit_paid=Decimal("1000"),
        ).obj
        quote = services.create_quote(lead=lead, actor=room.alice, spec=_spec(discount="3000"))
        accepted.refresh_from_db()
    return Objects(lead=lead, drive=drive, quote=quote, accepted=accepted, order=order)


def _spec(**kwargs: Any) -> services.QuoteSpec:
    from tests.sales.conftest import quote_spec

    return quote_spec(**kwargs)


def snapshot(room: Showroom) -> Any:
    with as_dealer(room.dealer):
        return (
            sorted(Drive.objects.values_list("id", "status", "km_out", "licence_number")),
            sorted(Quote.objects.values_list("id", "status", "discount_status", "total")),
            sorted(Order.objects.values_list("id", "status", "vin", "checklist")),
            sum(o.payments.count() for o in Order.objects.all()),
            sorted(DemoVehicle.objects.values_list("id", "is_active")),
        )


def page_gets(o: Objects) -> list[str]:
    return [
        reverse("sales:testdrive_create", args=[o.lead.pk]),
        reverse("sales:testdrive_detail", args=[o.drive.pk]),
        reverse("sales:quote_create", args=[o.lead.pk]),
        reverse("sales:quote_detail", args=[o.quote.pk]),
        reverse("sales:quote_edit", args=[o.quote.pk]),
        reverse("sales:quote_pdf", args=[o.quote.pk]),
        reverse("sales:order_create", args=[o.accepted.pk]),
        reverse("sales:order_detail", args=[o.order.pk]),
    ]


def page_posts(o: Objects, car: DemoVehicle) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            reverse("sales:testdrive_create", args=[o.lead.pk]),
            {"vehicle": car.pk, "day": "2030-01-02", "start_time": "10:00", "duration": "60"},
        ),
        (
            reverse("sales:testdrive_checkout", args=[o.drive.pk]),
            {"licence_number": "X", "licence_checked": "on", "consent": "on", "km_out": "5000"},
        ),
        (reverse("sales:testdrive_cancel", args=[o.drive.pk]), {}),
        (
            reverse("sales:quote_create", args=[o.lead.pk]),
            {"trim": "A3-CORE", "discount": "0", "trade_in_value": "0", "payment": "cash"},
        ),
        (reverse("sales:quote_preview", args=[o.lead.pk]), {"trim": "A3-CORE"}),
        (
            reverse("sales:quote_edit", args=[o.quote.pk]),
            {"trim": "A3-HYB", "discount": "0", "trade_in_value": "0", "payment": "cash"},
        ),
        (reverse("sales:quote_discount", args=[o.quote.pk]), {"decision": "approve"}),
        (reverse("sales:quote_send", args=[o.quote.pk]), {}),
        (reverse("sales:quote_decline", args=[o.accepted.pk]), {}),
        (reverse("sales:order_create", args=[o.accepted.pk]), {"deposit_required": "10"}),
        (reverse("sales:order_payment", args=[o.order.pk]), {"kind": "balance", "amount": "100"}),
        (reverse("sales:order_details", args=[o.order.pk]), {"vin": VIN}),
        (reverse("sales:order_checklist", args=[o.order.pk]), {"done": ["pdi_done"]}),
        (reverse("sales:order_deliver", args=[o.order.pk]), {}),
        (reverse("sales:demo_vehicle_active", args=[car.pk]), {"active": "0"}),
    ]


def api_calls(o: Objects, car: DemoVehicle) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("get", f"/api/test-drives/{o.drive.pk}/", {}),
        ("get", f"/api/quotes/{o.quote.pk}/", {}),
        ("get", f"/api/quotes/{o.quote.pk}/pdf/", {}),
        ("get", f"/api/orders/{o.order.pk}/", {}),
        ("get", f"/api/demo-vehicles/{car.pk}/", {}),
        (
            "post",
            f"/api/test-drives/{o.drive.pk}/check-out/",
            {"licence_number": "X", "licence_checked": True, "consent": True, "km_out": 5000},
        ),
        ("post", f"/api/test-drives/{o.drive.pk}/cancel/", {}),
        ("post", f"/api/quotes/{o.quote.pk}/revise/", {"trim": "A3-HYB"}),
        ("post", f"/api/quotes/{o.quote.pk}/decide-discount/", {"approve": True}),
        ("post", f"/api/quotes/{o.accepted.pk}/decline/", {}),
        ("post", f"/api/orders/{o.order.pk}/payments/", {"kind": "balance", "amount": "100"}),
        ("post", f"/api/orders/{o.order.pk}/details/", {"expected_delivery": None, "vin": VIN}),
        ("post", f"/api/orders/{o.order.pk}/deliver/", {}),
        ("post", f"/api/demo-vehicles/{car.pk}/set-active/", {"active": False}),
    ]


def api_creates(o: Objects, car: DemoVehicle) -> list[tuple[str, dict[str, Any]]]:
    start = dt.datetime(2030, 1, 2, 10, tzinfo=dt.UTC)
    return [
        (
            "/api/test-drives/",
            {
                "lead": o.lead.pk,
                "vehicle": car.pk,
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            },
        ),
        ("/api/quotes/", {"lead": o.lead.pk, "trim": "A3-CORE"}),
        ("/api/orders/", {"quote": o.accepted.pk, "deposit_required": "10"}),
    ]


MANAGER_ONLY = ("/discount/", "/active/", "decide-discount", "set-active")


def call(client: Any, method: str, url: str, data: dict[str, Any]) -> Any:
    if method == "post":
        return client.post(url, data, content_type="application/json")
    return client.get(url)


def assert_hidden(client: Any, objects: Objects, car: DemoVehicle, *, consultant: bool) -> None:
    """Every page and API route answers 404 for objects the caller may not see. Manager-only
    actions answer a consultant 403 whatever the id: a role limit reveals nothing."""
    for url in page_gets(objects):
        assert client.get(url).status_code == 404, url
    for url, data in page_posts(objects, car):
        want = 403 if consultant and any(m in url for m in MANAGER_ONLY) else 404
        assert client.post(url, data).status_code == want, url
    for method, url, data in api_calls(objects, car):
        want = 403 if consultant and any(m in url for m in MANAGER_ONLY) else 404
        assert call(client, method, url, data).status_code == want, url
    for url, data in api_creates(objects, car):
        response = client.post(url, data, content_type="application/json")
        assert response.status_code == 400, url  # the related id "does not exist"
        assert "does not exist" in str(response.json()), url


@pytest.mark.parametrize("role", ["consultant", "sales_manager"])
def test_another_dealers_ids_are_404_and_nothing_changes(
    room: Showroom, other_room: Showroom, signed_in: Any, role: str
) -> None:
    objects = make_objects(room)
    before = snapshot(room)
    outsider = other_room.alice if role == "consultant" else other_room.manager
    client = signed_in(outsider)
    assert_hidden(client, objects, room.car, consultant=role == "consultant")
    for url in ("/api/test-drives/", "/api/quotes/", "/api/orders/"):
        assert client.get(url).json()["count"] == 0, url
    cars = client.get("/api/demo-vehicles/").json()["results"]
    assert [c["id"] for c in cars] == [other_room.car.pk]  # only their own demo car
    assert snapshot(room) == before


def test_a_consultant_cannot_touch_a_colleagues_lead(room: Showroom, signed_in: Any) -> None:
    objects = make_objects(room)  # Alice's lead
    before = snapshot(room)
    bob = signed_in(room.bob)
    # The demo car is the dealer's (Bob sees it); only its lead-bound objects are hidden.
    car_routes = ("/api/demo-vehicles/",)
    for url in page_gets(objects):
        assert bob.get(url).status_code == 404, url
    for url, data in page_posts(objects, room.car):
        want = 403 if any(m in url for m in MANAGER_ONLY) else 404
        assert bob.post(url, data).status_code == want, url
    for method, url, data in api_calls(objects, room.car):
        if url.startswith(car_routes):
            continue
        want = 403 if any(m in url for m in MANAGER_ONLY) else 404
        assert call(bob, method, url, data).status_code == want, url
    for url, data in api_creates(objects, room.car):
        assert bob.post(url, data, content_type="application/json").status_code == 400, url
    assert bob.get("/api/quotes/").json()["count"] == 0
    assert snapshot(room) == before


def test_managers_see_every_lead_of_their_dealer(room: Showroom, signed_in: Any) -> None:
    objects = make_objects(room)
    manager = signed_in(room.manager)
    for url in page_gets(objects):
        assert manager.get(url).status_code in (200, 302), url
    assert manager.get("/api/quotes/").json()["count"] == 3
    assert manager.get(reverse("sales:quotes")).status_code == 200
    assert manager.get(reverse("sales:orders")).status_code == 200
    assert manager.get(reverse("sales:test_drives")).status_code == 200


def test_hq_never_reads_a_customers_showroom_data(room: Showroom, signed_in: Any) -> None:
    """Quotes (home address, phone, e-mail), orders, test drives (licence number) and the demo
    fleet's drivers are personal data: HQ, even over its own region, gets 403 on every page, PDF
    and API call, reads nothing and changes nothing (its figures are under /reports/)."""
    objects = make_objects(room)
    before = snapshot(room)
    hq = signed_in(hq_user("hq_regional_manager", regions=[room.dealer.region]))
    customer = objects.quote.lead.customer
    pages = [
        reverse("sales:quote_detail", args=[objects.quote.pk]),
        reverse("sales:quote_pdf", args=[objects.quote.pk]),
        reverse("sales:order_detail", args=[objects.order.pk]),
        reverse("sales:orders"),
        reverse("sales:quotes"),
        reverse("sales:test_drives"),
        reverse("sales:testdrive_planner"),
        reverse("sales:demo_vehicles"),
        f"/api/quotes/{objects.quote.pk}/",
        f"/api/quotes/{objects.quote.pk}/pdf/",
        "/api/orders/",
        "/api/test-drives/",
        "/api/customers/",
        "/api/leads/",
    ]
    for url in pages:
        response = hq.get(url)
        assert response.status_code == 403, url
        assert customer.last_name.encode() not in response.content, url
    for url, data in page_posts(objects, room.car):
        assert hq.post(url, data).status_code == 403, url
    for method, url, data in api_calls(objects, room.car):
        if method == "post":
            assert hq.post(url, data, content_type="application/json").status_code == 403, url
    for url, data in api_creates(objects, room.car):
        assert hq.post(url, data, content_type="application/json").status_code == 403, url
    assert snapshot(room) == before
    admin = signed_in(hq_user("hq_admin", regions=[]))
    assert admin.get(reverse("sales:quote_detail", args=[objects.quote.pk])).status_code == 403


def test_other_roles_get_403(room: Showroom, signed_in: Any) -> None:
    objects = make_objects(room)
    advisor = signed_in(staff(room.dealer, "service_advisor"))
    assert advisor.get(reverse("sales:quote_detail", args=[objects.quote.pk])).status_code == 403
    assert advisor.get(reverse("sales:test_drives")).status_code == 403
    assert advisor.get("/api/quotes/").status_code == 403
    consultant = signed_in(room.alice)
    assert (
        consultant.post(
            reverse("sales:demo_vehicle_active", args=[room.car.pk]), {"active": "0"}
        ).status_code
        == 403
    )
    assert (
        consultant.post(
            "/api/demo-vehicles/",
            {"vehicle_model": "A3", "vin": VIN},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_managers_run_the_demo_fleet(room: Showroom, signed_in: Any) -> None:
    manager = signed_in(room.manager)
    bad = manager.post(
        reverse("sales:demo_vehicles"), {"vehicle_model": "", "vin": "123", "odometer_km": "0"}
    )
    assert bad.status_code == 303  # back to the page, the errors on the form
    with as_dealer(room.dealer):
        model_id = DemoVehicle.objects.get(pk=room.car.pk).vehicle_model_id
    short = manager.post(
        reverse("sales:demo_vehicles"),
        {"vehicle_model": model_id, "vin": "123", "odometer_km": "0"},
        follow=True,
    )
    assert "A VIN has exactly 17 characters" in short.content.decode()
    ok = manager.post(
        reverse("sales:demo_vehicles"),
        {"vehicle_model": model_id, "vin": VIN, "plate": "b-au 7", "odometer_km": "10"},
    )
    assert ok.status_code == 302
    dupe = manager.post(
        reverse("sales:demo_vehicles"),
        {"vehicle_model": model_id, "vin": VIN, "odometer_km": "0"},
        follow=True,
    )
    assert "already one of your demo vehicles" in dupe.content.decode()
    with as_dealer(room.dealer):
        assert DemoVehicle.objects.filter(vin=VIN, plate="B-AU 7").count() == 1
    # A car with a booking ahead cannot leave the fleet.
    lead = room.lead()
    room.drive(lead, room.at(room.tomorrow, 10), actor=room.alice)
    refused = manager.post(
        reverse("sales:demo_vehicle_active", args=[room.car.pk]), {"active": "0"}, follow=True
    )
    assert "still has 1 test drive booked" in refused.content.decode()
    with as_dealer(room.dealer):
        assert DemoVehicle.objects.get(pk=room.car.pk).is_active
