"""The parts and labour catalogue (issue 14, item 1): supersession chains resolved on a day,
loops refused, HQ-only writes, and the history of every change with its author."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inventory.models import (
    LabourGrade,
    LabourOperation,
    LabourOperationModel,
    Part,
    PartGroup,
    PartSupersession,
    VehicleModel,
)
from inventory.selectors import current_parts, supersession_chain
from inventory.services import find_loop, save_labour_operation, supersede
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2027, 1, 1), dt.date(2027, 2, 1), dt.date(2027, 3, 1)


@pytest.fixture
def admin() -> object:
    return hq_user("hq_admin")


@pytest.fixture
def parts() -> dict[str, Part]:
    group = PartGroup.objects.create(code="FLT", name="Filters")
    return {
        n: Part.objects.create(number=n, description=f"Filter {n}", group=group)
        for n in ("0012345", "0012346", "0012347", "0099999")
    }


def test_a_chain_resolves_to_the_part_in_force_on_each_day(admin, parts) -> None:
    a, b, c = parts["0012345"], parts["0012346"], parts["0012347"]
    supersede(part=a, replaced_by=b, valid_from=FEB, actor=admin)
    supersede(part=b, replaced_by=c, valid_from=MAR, actor=admin)

    def on(day: dt.date) -> dict[str, str]:
        return {k: p.number for k, p in current_parts([a.number, "NOPE"], on=day).items()}

    assert on(JAN) == {"0012345": "0012345"}  # nothing replaced yet; unknown numbers left out
    assert on(FEB) == {"0012345": "0012346"}
    assert on(MAR - dt.timedelta(days=1)) == {"0012345": "0012346"}  # the day before: still B
    assert on(MAR) == {"0012345": "0012347"}
    assert [s.replaced_by.number for s in supersession_chain(a)] == ["0012346", "0012347"]


def test_current_parts_takes_two_queries_for_many_parts(admin, parts, django_assert_num_queries):
    supersede(part=parts["0012345"], replaced_by=parts["0012346"], valid_from=JAN, actor=admin)
    with django_assert_num_queries(2):
        found = current_parts(list(parts), on=MAR)
    assert len(found) == 4 and found["0012345"].group.code == "FLT"


def test_a_loop_is_refused_and_nothing_changes(admin, parts) -> None:
    a, b, c = parts["0012345"], parts["0012346"], parts["0012347"]
    supersede(part=a, replaced_by=b, valid_from=JAN, actor=admin)
    supersede(part=b, replaced_by=c, valid_from=JAN, actor=admin)
    with pytest.raises(ValidationError) as refused:
        supersede(part=c, replaced_by=a, valid_from=FEB, actor=admin)
    assert "0012347 → 0012345 → 0012346 → 0012347" in str(refused.value)
    assert not PartSupersession.objects.filter(part=c).exists()
    with pytest.raises(ValidationError):
        supersede(part=a, replaced_by=a, valid_from=FEB, actor=admin)


def test_a_new_successor_replaces_the_old_one(admin, parts) -> None:
    a = parts["0012345"]
    supersede(part=a, replaced_by=parts["0012346"], valid_from=JAN, actor=admin)
    supersede(part=a, replaced_by=parts["0099999"], valid_from=FEB, actor=admin)
    assert PartSupersession.objects.get(part=a).replaced_by.number == "0099999"
    assert current_parts([a.number], on=JAN)[a.number].number == "0012345"


def test_find_loop() -> None:
    assert find_loop({"A": "B", "B": "C"}) is None
    assert find_loop({"A": "B", "B": "C", "C": "A"}) == ["A", "B", "C", "A"]
    assert find_loop({"X": "A", "A": "B", "B": "A"}) == ["A", "B", "A"]


def test_only_hq_admins_change_the_catalogue(parts) -> None:
    dealer = DealerFactory()
    for actor in (staff(dealer, "parts_clerk"), staff(dealer, "dealer_manager"),
                  hq_user("hq_regional_manager")):  # fmt: skip
        with pytest.raises(PermissionDenied):
            supersede(part=parts["0012345"], replaced_by=parts["0012346"], valid_from=JAN,
                      actor=actor)  # fmt: skip
    assert not PartSupersession.objects.exists()


def test_every_change_keeps_its_history_with_its_author(admin, parts) -> None:
    a = parts["0012345"]
    supersede(part=a, replaced_by=parts["0012346"], valid_from=JAN, actor=admin)
    supersede(part=a, replaced_by=parts["0012347"], valid_from=FEB, actor=admin)
    events = list(
        PartSupersession.pgh_event_model.objects.filter(part=a)
        .order_by("pgh_id")
        .values_list("pgh_label", "replaced_by__number", "pgh_context__metadata")
    )
    assert [(label, number) for label, number, _ in events] == [
        ("insert", "0012346"),
        ("update", "0012347"),
    ]
    assert all(ctx["user"] == admin.pk and ctx["change"] == "supersede" for *_, ctx in events)
    # A change made outside a service (a bulk update) is in the history too.
    Part.objects.filter(pk=a.pk).update(description="Oil filter")
    last = Part.pgh_event_model.objects.filter(pgh_obj=a).latest("pgh_id")
    assert (last.pgh_label, last.description) == ("update", "Oil filter")


def test_labour_operation_models_and_bad_input(admin) -> None:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    aero = VehicleModel.objects.create(code="AERO", name="Aero")
    op = save_labour_operation(
        actor=admin, code=" ox10 ", description="Oil change", grade_id=grade.pk,
        standard_hours=Decimal("0.80"), vehicle_model_ids=[aero.pk],
    )  # fmt: skip
    assert op.code == "OX10"
    assert list(op.vehicle_models.values_list("code", flat=True)) == ["AERO"]
    save_labour_operation(
        actor=admin, code="OX10", description="Oil change", grade_id=grade.pk,
        standard_hours=Decimal("0.90"), vehicle_model_ids=[],
    )  # fmt: skip
    assert not LabourOperationModel.objects.exists()  # now applies to every model
    assert LabourOperation.objects.get(code="OX10").standard_hours == Decimal("0.90")
    for hours in (Decimal("0"), Decimal("-1")):
        with pytest.raises(ValidationError):
            save_labour_operation(actor=admin, code="OX10", description="x", grade_id=grade.pk,
                                  standard_hours=hours)  # fmt: skip
    assert LabourOperation.objects.get(code="OX10").standard_hours == Decimal("0.90")
