"""HQ writes to the catalogue (issue 14, item 1): parts, part groups, labour grades, the vehicle
catalogue and removing a supersession. Bad input is refused with a clear message and changes
nothing; only HQ network admins write; every change is in the history with its author."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inventory import services
from inventory.models import (
    Colour,
    LabourGrade,
    LabourOperation,
    Option,
    Part,
    PartGroup,
    PartSupersession,
    Trim,
    VehicleModel,
)
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> Any:
    return hq_user("hq_admin")


@pytest.fixture
def group() -> PartGroup:
    return PartGroup.objects.create(code="FLT", name="Filters")


def refused(field: str, call: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert field in error.value.message_dict, error.value.message_dict
    return " ".join(error.value.message_dict[field])


def test_a_part_keeps_its_number_as_typed(admin, group) -> None:
    part = services.create_part(
        actor=admin, number="  0012ab-7 ", description=" Oil   filter ", group=group,
        weight_kg=Decimal("0.250"),
    )  # fmt: skip
    part.refresh_from_db()
    assert (part.number, part.description, part.weight_kg) == (
        "0012ab-7",
        "Oil filter",
        Decimal("0.250"),
    )
    event = Part.pgh_event_model.objects.get(pgh_obj=part)
    assert event.pgh_context.metadata["user"] == admin.pk


def test_bad_parts_are_refused_and_nothing_is_saved(admin, group) -> None:
    Part.objects.create(number="0012", description="x", group=group)
    base = {"actor": admin, "number": "0013", "description": "Filter", "group": group}
    assert "exists" in refused("number", services.create_part, **{**base, "number": " 0012 "})
    refused("number", services.create_part, **{**base, "number": "  "})
    refused("number", services.create_part, **{**base, "number": "00 13"})
    refused("group", services.create_part, **{**base, "group": None})
    refused("description", services.create_part, **{**base, "description": "   "})
    assert "negative" in refused(
        "weight_kg", services.create_part, **{**base, "weight_kg": Decimal("-1")}
    )
    refused("weight_kg", services.create_part, **{**base, "weight_kg": Decimal("1.0001")})
    refused("unit", services.create_part, **{**base, "unit": "bag"})
    assert list(Part.objects.values_list("number", flat=True)) == ["0012"]


def test_a_part_is_changed_and_deactivated_never_deleted(admin, group) -> None:
    other = PartGroup.objects.create(code="BRK", name="Brakes")
    part = Part.objects.create(number="0012", description="Filter", group=group)
    services.change_part(
        actor=admin, part=part, description="Oil filter", group=other, unit="set",
        weight_kg=Decimal("0"), is_active=False,
    )  # fmt: skip
    part.refresh_from_db()
    assert (part.description, part.group, part.unit, part.weight_kg, part.is_active) == (
        "Oil filter", other, "set", Decimal("0"), False,
    )  # fmt: skip
    assert part.number == "0012"
    with pytest.raises(ValidationError):
        services.change_part(
            actor=admin, part=part, description="X", group=None, unit="pc", weight_kg=None
        )
    part.refresh_from_db()
    assert part.group == other


def test_an_unchanged_save_writes_no_history(admin, group) -> None:
    part = Part.objects.create(number="0012", description="Filter", group=group)
    before = Part.pgh_event_model.objects.count()
    services.change_part(
        actor=admin, part=part, description="Filter", group=group, unit="pc", weight_kg=None
    )
    assert Part.pgh_event_model.objects.count() == before


def test_part_groups_and_labour_grades(admin) -> None:
    group = services.save_part_group(actor=admin, code=" brk ", name="Brakes")
    assert group.code == "BRK"
    services.save_part_group(actor=admin, group=group, code="BRK", name="Brakes and discs")
    assert PartGroup.objects.get().name == "Brakes and discs"
    assert "exists" in refused("code", services.save_part_group, actor=admin, code="brk", name="x")
    refused("name", services.save_part_group, actor=admin, code="ENG", name="")
    grade = services.save_labour_grade(actor=admin, code="mech", name="Mechanical")
    assert grade.code == "MECH"
    refused("code", services.save_labour_grade, actor=admin, code="MECH", name="Other")
    refused("code", services.save_labour_grade, actor=admin, code="", name="Other")
    assert PartGroup.objects.count() == 1 and LabourGrade.objects.count() == 1


def test_vehicle_catalogue_entries(admin) -> None:
    counts = [m.objects.count() for m in (Colour, Option, Trim)]
    model = services.save_vehicle_model(actor=admin, code="zq", name="Aurora", body="SUV")
    trim = services.save_trim(actor=admin, vehicle_model=model, code="zq-lx", name="LX")
    colour = services.save_colour(actor=admin, code="zqw1", name="White")
    option = services.save_option(actor=admin, code="zqtow", name="Tow bar", kind="accessory")
    assert (model.code, trim.code, colour.code, option.kind) == ("ZQ", "ZQ-LX", "ZQW1", "accessory")
    services.save_trim(
        actor=admin, trim=trim, vehicle_model=model, code="ZQ-LX", name="LX", is_active=False
    )
    services.save_vehicle_model(
        actor=admin, vehicle_model=model, code="ZQ", name="Aurora", is_active=False
    )
    trim.refresh_from_db()
    model.refresh_from_db()
    assert not trim.is_active and not model.is_active
    refused(
        "vehicle_model", services.save_trim, actor=admin, vehicle_model=None, code="X", name="X"
    )
    refused("code", services.save_colour, actor=admin, code="ZQW1", name="Other white")
    refused("kind", services.save_option, actor=admin, code="NEW", name="x", kind="gift")
    assert [m.objects.count() for m in (Colour, Option, Trim)] == [c + 1 for c in counts]


def test_removing_a_supersession(admin, group) -> None:
    a = Part.objects.create(number="A1", description="A", group=group)
    b = Part.objects.create(number="B1", description="B", group=group)
    services.supersede(part=a, replaced_by=b, valid_from=dt.date(2027, 2, 1), actor=admin)
    services.remove_supersession(part=a, actor=admin)
    assert not PartSupersession.objects.exists()
    labels = list(
        PartSupersession.pgh_event_model.objects.order_by("pgh_id").values_list(
            "pgh_label", "pgh_context__metadata__change"
        )
    )
    assert labels[-1] == ("delete", "remove_supersession")
    with pytest.raises(ValidationError):
        services.remove_supersession(part=a, actor=admin)


def test_labour_operation_bad_input(admin) -> None:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    base = {
        "actor": admin, "code": "OP1", "description": "Oil change", "grade_id": grade.pk,
        "standard_hours": Decimal("0.5"),
    }  # fmt: skip
    refused(
        "standard_hours", services.save_labour_operation, **{**base, "standard_hours": Decimal("0")}
    )
    refused(
        "standard_hours",
        services.save_labour_operation,
        **{**base, "standard_hours": Decimal("0.555")},
    )
    refused("grade", services.save_labour_operation, **{**base, "grade_id": grade.pk + 999})
    refused("description", services.save_labour_operation, **{**base, "description": " "})
    assert not LabourOperation.objects.exists()


@pytest.mark.parametrize(
    "role", ["parts_clerk", "service_advisor", "dealer_admin", "hq_regional_manager"]
)
def test_only_hq_network_admins_write(role, group) -> None:
    actor = hq_user(role) if role.startswith("hq_") else staff(DealerFactory(), role)
    part = Part.objects.create(number="0012", description="Filter", group=group)
    model = VehicleModel.objects.create(code="ZQ", name="Aurora")
    counts = [m.objects.count() for m in (VehicleModel, Trim, Colour, Option)]
    calls = [
        lambda: services.create_part(actor=actor, number="9", description="x", group=group),
        lambda: services.change_part(
            actor=actor, part=part, description="y", group=group, unit="pc", weight_kg=None
        ),  # fmt: skip
        lambda: services.save_part_group(actor=actor, code="NEW", name="x"),
        lambda: services.save_labour_grade(actor=actor, code="NEW", name="x"),
        lambda: services.save_vehicle_model(actor=actor, code="NEW", name="x"),
        lambda: services.save_trim(actor=actor, vehicle_model=model, code="NEW", name="x"),
        lambda: services.save_colour(actor=actor, code="NEW", name="x"),
        lambda: services.save_option(actor=actor, code="NEW", name="x"),
        lambda: services.remove_supersession(actor=actor, part=part),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    part.refresh_from_db()
    assert part.description == "Filter" and Part.objects.count() == 1
    assert PartGroup.objects.count() == 1 and not LabourGrade.objects.exists()
    assert [m.objects.count() for m in (VehicleModel, Trim, Colour, Option)] == counts
