"""dealers.services absence rules: clear errors, nothing changed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from dealers import services
from dealers.models import Membership, StaffAbsence
from dealers.selectors import absent_membership_ids
from dms.tenancy.context import as_dealer
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def setup() -> dict:
    a, b = DealerFactory(), DealerFactory()
    manager = staff(a, "dealer_manager")
    anna = Membership.objects.get(user=staff(a, "consultant", first_name="Anna", last_name="Berg"))
    bob = Membership.objects.get(user=staff(b, "consultant"))
    return {"a": a, "b": b, "manager": manager, "anna": anna, "bob": bob}


def create(s: dict, start: datetime.date, end: datetime.date, membership=None, reason="leave"):
    return services.create_absence(
        dealer=s["a"],
        membership=membership or s["anna"],
        starts_on=start,
        ends_on=end,
        reason=reason,
        actor=s["manager"],
    )


def test_create_and_who_is_absent(setup: dict) -> None:
    with as_dealer(setup["a"]):
        absence = create(setup, D(2026, 3, 2), D(2026, 3, 4))
        assert absence.created_by == setup["manager"]
        assert absent_membership_ids(dealer=setup["a"], on=D(2026, 3, 4)) == {setup["anna"].pk}
        assert absent_membership_ids(dealer=setup["a"], on=D(2026, 3, 5)) == set()


def test_dates_must_be_ordered(setup: dict) -> None:
    with as_dealer(setup["a"]):
        with pytest.raises(ValidationError) as exc:
            create(setup, D(2026, 3, 4), D(2026, 3, 2))
        assert "end on or after" in exc.value.message_dict["ends_on"][0]
        assert StaffAbsence.objects.count() == 0


def test_membership_must_be_of_the_same_dealer(setup: dict) -> None:
    with as_dealer(setup["a"]):
        with pytest.raises(ValidationError) as exc:
            create(setup, D(2026, 3, 2), D(2026, 3, 4), membership=setup["bob"])
        assert "does not work at this dealer" in exc.value.message_dict["membership"][0]
        assert StaffAbsence.objects.count() == 0


def test_inactive_staff_and_unknown_reasons_are_refused(setup: dict) -> None:
    anna = setup["anna"]
    with as_dealer(setup["a"]):
        with pytest.raises(ValidationError) as exc:
            create(setup, D(2026, 3, 2), D(2026, 3, 4), reason="party")
        assert "reason" in exc.value.message_dict
        Membership.objects.filter(pk=anna.pk).update(is_active=False)
        with pytest.raises(ValidationError) as exc:
            create(setup, D(2026, 3, 2), D(2026, 3, 4))
        assert "no longer works" in exc.value.message_dict["membership"][0]
        assert StaffAbsence.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2026, 3, 1), D(2026, 3, 2)),  # overlaps the first day
        (D(2026, 3, 10), D(2026, 3, 12)),  # overlaps the last day
        (D(2026, 3, 4), D(2026, 3, 5)),  # inside
        (D(2026, 2, 1), D(2026, 4, 1)),  # around
    ],
)
def test_no_overlapping_absences_for_one_person(setup: dict, start, end) -> None:
    with as_dealer(setup["a"]):
        create(setup, D(2026, 3, 2), D(2026, 3, 10))
        with pytest.raises(ValidationError) as exc:
            create(setup, start, end)
        message = exc.value.message_dict["starts_on"][0]
        assert "Anna Berg is already absent from 2026-03-02 to 2026-03-10" in message
        assert StaffAbsence.objects.count() == 1
        # Adjacent periods and other people are fine.
        create(setup, D(2026, 3, 11), D(2026, 3, 11))
        colleague = Membership.objects.get(user=staff(setup["a"], "consultant"))
        create(setup, start, end, membership=colleague)


def test_update_checks_the_same_rules_but_not_against_itself(setup: dict) -> None:
    with as_dealer(setup["a"]):
        first = create(setup, D(2026, 3, 2), D(2026, 3, 4))
        second = create(setup, D(2026, 3, 10), D(2026, 3, 12))
        services.update_absence(
            absence=first,
            membership=setup["anna"],
            starts_on=D(2026, 3, 1),
            ends_on=D(2026, 3, 5),
            reason="sick",
            note="flu",
            actor=setup["manager"],
        )
        with pytest.raises(ValidationError):
            services.update_absence(
                absence=second,
                membership=setup["anna"],
                starts_on=D(2026, 3, 5),
                ends_on=D(2026, 3, 12),
                reason="leave",
                actor=setup["manager"],
            )
        second.refresh_from_db()
        assert (second.starts_on, second.ends_on) == (D(2026, 3, 10), D(2026, 3, 12))
        first.refresh_from_db()
        assert (first.starts_on, first.reason, first.note) == (D(2026, 3, 1), "sick", "flu")
        services.delete_absence(absence=first, actor=setup["manager"])
        assert list(StaffAbsence.objects.all()) == [second]
