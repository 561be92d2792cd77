"""Vehicle-stock API: HQ loads vehicles and allocates them; a dealer lists its own stock with
ETA and days in stock; bad input is a 400 that changes nothing; another dealer's vehicle 404."""

from __future__ import annotations

from typing import Any

import pytest

from dms.audit.models import AuditAction, AuditEntry
from inventory.vehicles.models import Allocation, Vehicle
from tests.api.support import results, token_client
from tests.factories import hq_user
from tests.sales.conftest import Showroom, make_showroom

from .vehicle_helpers import allocated, arrived, logistics, stop_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(db: Any) -> Showroom:
    return make_showroom(name="Autohaus Nord", code="NORD")


def test_hq_loads_and_allocates_a_vehicle(room: Showroom) -> None:
    client = token_client(logistics())
    body = {
        "vin": "WAUZZZ8V5KA000001",
        "trim": "A3-CORE",
        "options": [],
        "build_date": "2026-01-10",
        "price": "21490.00",
    }
    response = client.post("/api/vehicles/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "built" and response.json()["model"] == "A3"
    again = client.post("/api/vehicles/", body, format="json")
    assert again.status_code == 400
    assert again.json()["vin"] == ["A vehicle with this VIN is already loaded."]
    bad = client.post("/api/vehicles/", {**body, "vin": "WAUZZZ8V5KA00000I"}, format="json")
    assert bad.status_code == 400 and "except I, O and Q" in bad.json()["vin"][0]
    vehicle = Vehicle.objects.get()
    response = client.post(
        f"/api/vehicles/{vehicle.pk}/allocate/", {"dealer": "NORD"}, format="json"
    )
    assert response.status_code == 201 and response.json()["dealer"] == "NORD"
    response = client.post(
        f"/api/vehicles/{vehicle.pk}/allocate/", {"by_rule": True}, format="json"
    )
    assert response.status_code == 400
    assert Allocation.objects.filter(vehicle=vehicle).count() == 1
    listed = results(client.get("/api/vehicles/?state=built"))
    assert [(v["vin"], v["allocated_to"]) for v in listed] == [("WAUZZZ8V5KA000001", "NORD")]
    assert AuditEntry.objects.filter(action=AuditAction.VEHICLE_STOCK).count() == 2


def test_only_logistics_allocates_and_dealers_do_not_read_hq_vehicles(room: Showroom) -> None:
    stock = allocated(logistics(), room.dealer)
    admin = token_client(hq_user("hq_admin"))
    assert admin.get(f"/api/vehicles/{stock.vehicle_id}/").status_code == 200
    response = admin.post(
        f"/api/vehicles/{stock.vehicle_id}/allocate/", {"dealer": "NORD"}, format="json"
    )
    assert response.status_code == 403
    assert token_client(room.manager).get("/api/vehicles/").status_code == 403


def test_dealer_lists_its_own_stock_only(room: Showroom) -> None:
    hq = logistics()
    mine = arrived(hq, room)
    other = make_showroom(name="Autohaus Süd", code="SUED")
    foreign = arrived(hq, other)
    stop_sale(mine.vin)
    client = token_client(room.alice)
    rows = results(client.get("/api/vehicles/stock/"))
    assert [(r["vin"], r["state"], r["days_in_stock"], r["stop_sale"]) for r in rows] == [
        (mine.vin, "at_dealer", 0, True)
    ]
    assert client.get(f"/api/vehicles/stock/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/vehicles/stock/{mine.pk}/").status_code == 200
    assert client.get("/api/vehicles/stock/?state=nonsense").status_code == 400
    assert client.post("/api/vehicles/stock/", {}, format="json").status_code in (403, 405)
