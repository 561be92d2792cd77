"""The catalogue pages: dealers and HQ search and read, HQ network admins edit; the part page
resolves the supersession chain on the dealer's today; the History tab names the author."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from inventory import services
from inventory.models import LabourGrade, LabourOperation, Part, PartGroup, VehicleModel
from tests.api.support import session_client, table_html
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db

# 23:30 UTC on 31 Jan 2027: already 1 Feb in Tokyo, still 31 Jan in Lisbon.
MOMENT = dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC)
FEB = dt.date(2027, 2, 1)


@pytest.fixture
def admin() -> Any:
    return hq_user("hq_admin", first_name="Hana", last_name="Admin")


@pytest.fixture
def cat(admin: Any) -> dict[str, Any]:
    group = PartGroup.objects.create(code="FLT", name="Filters")
    brakes = PartGroup.objects.create(code="BRK", name="Brakes")
    parts = {
        n: Part.objects.create(number=n, description=d, group=g)
        for n, d, g in [
            ("0012345", "Oil filter", group),
            ("0012346", "Oil filter improved", group),
            ("AB-77", "Brake pad set front", brakes),
            ("ab-78", "Brake pad set rear", brakes),
        ]
    }
    services.supersede(
        part=parts["0012345"], replaced_by=parts["0012346"], valid_from=FEB, actor=admin
    )
    return {"group": group, "brakes": brakes, **parts}


def test_parts_search_by_number_prefix_and_words(admin, cat) -> None:
    dealer = DealerFactory()
    client = session_client(staff(dealer, "parts_clerk"))
    html = table_html(client.get("/inventory/catalogue/parts/?q=ab-7"))
    assert "AB-77" in html and "ab-78" in html and "0012345" not in html
    html = table_html(client.get("/inventory/catalogue/parts/?q=00123"))
    assert "0012345" in html and "0012346" in html and "AB-77" not in html
    html = table_html(client.get("/inventory/catalogue/parts/?q=pad+rear"))
    assert "ab-78" in html and "AB-77" not in html
    html = table_html(client.get(f"/inventory/catalogue/parts/?group={cat['brakes'].pk}"))
    assert "AB-77" in html and "0012345" not in html


def test_parts_list_query_count_does_not_grow(admin, cat, django_assert_max_num_queries) -> None:
    for i in range(30):
        p = Part.objects.create(number=f"X{i:03}", description="Bolt", group=cat["group"])
        if i:
            services.supersede(part=p, replaced_by=cat["AB-77"], valid_from=FEB, actor=admin)
    client = session_client(staff(DealerFactory(), "service_advisor"))
    client.get("/inventory/catalogue/parts/")
    with django_assert_max_num_queries(20) as counted:
        response = client.get("/inventory/catalogue/parts/")
    assert response.status_code == 200 and "X029" in table_html(response)
    few = len(counted.captured_queries)
    Part.objects.filter(number__startswith="X").update(is_active=False)
    with django_assert_max_num_queries(few):
        client.get("/inventory/catalogue/parts/?is_active=false")


@pytest.mark.parametrize(("zone", "shows_b"), [("Asia/Tokyo", True), ("Europe/Lisbon", False)])
def test_the_part_page_shows_the_current_part_on_the_dealers_day(admin, cat, zone, shows_b):
    dealer = DealerFactory(timezone=zone)
    with time_machine.travel(MOMENT, tick=False):
        client = session_client(staff(dealer, "parts_clerk"))
        response = client.get(f"/inventory/catalogue/parts/{cat['0012345'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="chain"' in html and "0012346" in html
    assert ('data-testid="current-part"' in html) is shows_b
    b_page = client.get(f"/inventory/catalogue/parts/{cat['0012346'].pk}/").content.decode()
    assert 'data-testid="supersedes"' in b_page and "0012345" in b_page


def test_dealer_roles_read_but_never_write(cat) -> None:
    dealer = DealerFactory()
    part = cat["AB-77"]
    for role in ("parts_clerk", "service_advisor", "dealer_manager", "consultant"):
        client = session_client(staff(dealer, role))
        assert client.get(f"/inventory/catalogue/parts/{part.pk}/").status_code == 200
        assert (
            "part-edit" not in client.get(f"/inventory/catalogue/parts/{part.pk}/").content.decode()
        )
        for url, data in [
            (f"/inventory/catalogue/parts/{part.pk}/edit/", {"description": "Hacked"}),
            ("/inventory/catalogue/parts/new/", {"number": "NEW1", "description": "x"}),
            (f"/inventory/catalogue/parts/{part.pk}/replace/", {"remove": "1"}),
            ("/inventory/catalogue/part-groups/new/", {"code": "X", "name": "x"}),
            ("/inventory/catalogue/vehicles/new/", {"code": "X", "name": "x"}),
        ]:
            assert client.post(url, data).status_code == 403, (role, url)
            assert client.get(url).status_code == 403
    part.refresh_from_db()
    assert part.description == "Brake pad set front" and not Part.objects.filter(number="NEW1")
    # HQ regional managers read the catalogue, do not edit it
    client = session_client(hq_user("hq_regional_manager"))
    assert client.get("/inventory/catalogue/parts/").status_code == 200
    assert client.post(f"/inventory/catalogue/parts/{part.pk}/edit/", {}).status_code == 403


def test_hq_edits_a_part_and_bad_input_changes_nothing(admin, cat) -> None:
    client = session_client(admin)
    part = cat["AB-77"]
    url = f"/inventory/catalogue/parts/{part.pk}/edit/"
    bad = {"description": "Pads", "group": cat["brakes"].pk, "unit": "set", "weight_kg": "-2"}
    response = client.post(url, bad)
    assert (
        response.status_code == 200
        and "The weight cannot be negative." in response.content.decode()
    )
    part.refresh_from_db()
    assert part.description == "Brake pad set front"
    good = {**bad, "weight_kg": "1.250", "is_active": "on"}
    assert client.post(url, good).status_code == 302
    part.refresh_from_db()
    assert (part.description, part.unit, part.weight_kg) == ("Pads", "set", Decimal("1.250"))
    # a new part keeps its number as typed
    response = client.post(
        "/inventory/catalogue/parts/new/",
        {"number": " 000777 ", "description": "Washer", "group": cat["group"].pk, "unit": "pc"},
    )
    assert response.status_code == 302 and Part.objects.filter(number="000777").exists()
    response = client.post(
        "/inventory/catalogue/parts/new/",
        {"number": "000777", "description": "Washer", "group": cat["group"].pk, "unit": "pc"},
    )
    assert "exists already" in response.content.decode()


def test_replace_form_refuses_a_loop_with_the_message(admin, cat) -> None:
    client = session_client(admin)
    b = cat["0012346"]
    response = client.post(
        f"/inventory/catalogue/parts/{b.pk}/replace/",
        {"replaced_by": "0012345", "valid_from": "2027-03-01"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This would make a loop of replacements: 0012346 → 0012345 → 0012346." in html
    assert not hasattr(Part.objects.get(pk=b.pk), "supersession")
    response = client.post(
        f"/inventory/catalogue/parts/{b.pk}/replace/",
        {"replaced_by": "NOPE", "valid_from": "2027-03-01"},
    )
    assert "No part has the number NOPE." in response.content.decode()
    response = client.post(
        f"/inventory/catalogue/parts/{b.pk}/replace/",
        {"replaced_by": "AB-77", "valid_from": "2027-03-01", "note": "new supplier"},
    )
    assert response.status_code == 302
    assert Part.objects.get(pk=b.pk).supersession.replaced_by.number == "AB-77"
    client.post(f"/inventory/catalogue/parts/{b.pk}/replace/", {"remove": "1"})
    assert not hasattr(Part.objects.get(pk=b.pk), "supersession")


def test_history_tab_shows_who_changed_what(admin, cat) -> None:
    part = cat["0012345"]
    services.change_part(
        actor=admin, part=part, description="Oil filter (old)", group=cat["group"], unit="pc",
        weight_kg=Decimal("0.3"),
    )  # fmt: skip
    client = session_client(staff(DealerFactory(), "parts_clerk"))
    html = client.get(f"/inventory/catalogue/parts/{part.pk}/history/").content.decode()
    assert "Hana Admin" in html
    assert '<del class="text-danger">Oil filter</del> → ' in html and "Oil filter (old)" in html
    assert "0012345 replaced by 0012346" in html  # the supersession belongs to the part


def test_recent_changes_page_for_hq(admin, cat, django_assert_max_num_queries) -> None:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    model = VehicleModel.objects.create(code="ZQ", name="Zq")
    services.save_labour_operation(
        actor=admin, code="op1", description="Oil change", grade_id=grade.pk,
        standard_hours=Decimal("0.5"), vehicle_model_ids=[model.pk],
    )  # fmt: skip
    client = session_client(admin)
    client.get("/inventory/catalogue/changes/")
    with django_assert_max_num_queries(40):
        response = client.get("/inventory/catalogue/changes/")
    html = response.content.decode()
    assert "OP1" in html and "Hana Admin" in html and "0012345 replaced by 0012346" in html
    html = client.get("/inventory/catalogue/changes/?table=labouroperation").content.decode()
    assert "OP1" in html and "0012346" not in html
    clerk = session_client(staff(DealerFactory(), "parts_clerk"))
    assert clerk.get("/inventory/catalogue/changes/").status_code == 403


def test_labour_and_vehicle_pages(admin, cat) -> None:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    model = VehicleModel.objects.create(code="ZQ", name="Zq")
    client = session_client(admin)
    response = client.post(
        "/inventory/catalogue/labour/new/",
        {"code": "op9", "description": "Brakes", "grade": grade.pk, "standard_hours": "0",
         "vehicle_models": [model.pk], "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200 and not LabourOperation.objects.filter(code="OP9")
    response = client.post(
        "/inventory/catalogue/labour/new/",
        {"code": "op9", "description": "Brakes", "grade": grade.pk, "standard_hours": "1.5",
         "vehicle_models": [model.pk], "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    op = LabourOperation.objects.get(code="OP9")
    reader = session_client(staff(DealerFactory(), "service_advisor"))
    other = VehicleModel.objects.create(code="ZR", name="Zr")
    assert "OP9" in table_html(reader.get(f"/inventory/catalogue/labour/?vehicle_model={model.pk}"))
    assert "OP9" not in table_html(
        reader.get(f"/inventory/catalogue/labour/?vehicle_model={other.pk}")
    )
    assert reader.get(f"/inventory/catalogue/labour/{op.pk}/").status_code == 200
    assert "ZQ" in reader.get(f"/inventory/catalogue/labour/{op.pk}/history/").content.decode()
    # vehicle catalogue: a model with its trims
    response = client.post(
        "/inventory/catalogue/trims/new/",
        {"vehicle_model": model.pk, "code": "zq-lx", "name": "LX", "is_active": "on"},
    )
    assert response.status_code == 302
    assert "ZQ-LX" in reader.get(f"/inventory/catalogue/vehicles/{model.pk}/").content.decode()
    for url in ("vehicles/", "colours/", "options/", "part-groups/", "labour-grades/"):
        assert reader.get(f"/inventory/catalogue/{url}").status_code == 200, url


def test_number_prefix_search_can_use_the_index(cat) -> None:
    """UPPER(number) LIKE 'AB-7%' (the lookup search_parts uses for numbers) is served by the
    part_number_upper index (text_pattern_ops: whatever the database collation)."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Part.objects.filter(number__istartswith="ab-7").only("id").explain()
    assert "part_number_upper" in plan, plan
