"""The catalogue API: dealers and HQ read parts, labour operations and the vehicle catalogue;
the part in force on a day follows supersessions; nobody writes through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from inventory import services
from inventory.models import LabourGrade, Part, PartGroup, Trim, VehicleModel
from tests.api.support import results, session_client, token_client
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db

FEB, MAR = dt.date(2027, 2, 1), dt.date(2027, 3, 1)


@pytest.fixture
def admin() -> Any:
    return hq_user("hq_admin")


@pytest.fixture
def parts(admin: Any) -> dict[str, Part]:
    group = PartGroup.objects.create(code="FLT", name="Filters")
    made = {
        n: Part.objects.create(number=n, description=f"Filter {n}", group=group)
        for n in ("0012345", "0012346", "0012347")
    }
    services.supersede(
        part=made["0012345"], replaced_by=made["0012346"], valid_from=FEB, actor=admin
    )
    services.supersede(
        part=made["0012346"], replaced_by=made["0012347"], valid_from=MAR, actor=admin
    )
    return made


def test_dealers_search_parts(parts) -> None:
    client = token_client(staff(DealerFactory(), "parts_clerk"))
    rows = results(client.get("/api/catalogue/parts/?q=001234"))
    assert [r["number"] for r in rows] == ["0012345", "0012346", "0012347"]
    assert rows[0]["replaced_by"] == "0012346" and rows[0]["replaced_from"] == "2027-02-01"
    assert rows[0]["group"] == "FLT"
    assert results(client.get("/api/catalogue/parts/?q=filter+0012347"))[0]["number"] == "0012347"
    assert client.get("/api/catalogue/parts/?active=maybe").status_code == 400


def test_current_part_on_a_day(parts) -> None:
    client = token_client(staff(DealerFactory(), "service_advisor"))
    url = "/api/catalogue/parts/current/?numbers=0012345,NOPE&on="
    body = client.get(url + "2027-01-15").json()
    assert body["parts"][0]["current"]["number"] == "0012345" and body["unknown"] == ["NOPE"]
    assert client.get(url + "2027-02-10").json()["parts"][0]["current"]["number"] == "0012346"
    assert client.get(url + "2027-03-01").json()["parts"][0]["current"]["number"] == "0012347"
    assert client.get(url + "2027-13-01").status_code == 400
    assert client.get("/api/catalogue/parts/current/").status_code == 400


def test_current_part_defaults_to_the_dealers_today(parts) -> None:
    tokyo = DealerFactory(timezone="Asia/Tokyo")
    with time_machine.travel(dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        client = token_client(staff(tokyo, "parts_clerk"))
        body = client.get("/api/catalogue/parts/current/?numbers=0012345").json()
    assert (body["on"], body["parts"][0]["current"]["number"]) == ("2027-02-01", "0012346")


def test_labour_and_vehicle_catalogue(admin) -> None:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    model = VehicleModel.objects.create(code="ZQ", name="Zq")
    Trim.objects.create(vehicle_model=model, code="ZQ-LX", name="LX")
    services.save_labour_operation(
        actor=admin, code="OP1", description="Oil change", grade_id=grade.pk,
        standard_hours=Decimal("0.5"), vehicle_model_ids=[model.pk],
    )  # fmt: skip
    client = session_client(staff(DealerFactory(), "service_advisor"))
    rows = results(client.get("/api/catalogue/labour-operations/?vehicle_model=zq"))
    assert [(r["code"], r["vehicle_models"], r["standard_hours"]) for r in rows] == [
        ("OP1", ["ZQ"], "0.50")
    ]
    models = results(client.get("/api/catalogue/models/"))
    assert any(m["code"] == "ZQ" and m["trims"][0]["code"] == "ZQ-LX" for m in models)
    assert client.get("/api/catalogue/colours/").status_code == 200
    assert client.get("/api/catalogue/options/?kind=accessory").status_code == 200


def test_nobody_writes_through_the_api(parts) -> None:
    dealer = DealerFactory()
    part = parts["0012345"]
    for user in (
        staff(dealer, "parts_clerk"),
        staff(dealer, "dealer_manager"),
        hq_user("hq_admin"),
    ):
        client = session_client(user)
        assert client.post("/api/catalogue/parts/", {"number": "X"}, format="json").status_code in (
            403,
            405,
        )
        assert client.patch(
            f"/api/catalogue/parts/{part.pk}/", {"description": "x"}, format="json"
        ).status_code in (403, 405)
        assert client.delete(f"/api/catalogue/parts/{part.pk}/").status_code in (403, 405)
    part.refresh_from_db()
    assert part.description == "Filter 0012345" and not Part.objects.filter(number="X")


def test_parts_api_query_count(admin, parts, django_assert_max_num_queries) -> None:
    group = PartGroup.objects.get(code="FLT")
    for i in range(40):
        p = Part.objects.create(number=f"Y{i:03}", description="Bolt", group=group)
        services.supersede(part=p, replaced_by=parts["0012347"], valid_from=FEB, actor=admin)
    client = token_client(staff(DealerFactory(), "parts_clerk"))
    client.get("/api/catalogue/parts/")
    with django_assert_max_num_queries(12):
        assert len(results(client.get("/api/catalogue/parts/?page_size=100"))) == 43
