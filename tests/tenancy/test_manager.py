"""Wall 1: the tenant manager (django-scopes) and the scope context managers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import ScopeError

from dealers.models import Dealer, Membership, StaffAbsence
from dms.tenancy.context import as_dealer, as_dealers, current_scope, unscoped
from tests.factories import DealerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def new_day_off(dealer: Dealer, member: Membership) -> StaffAbsence:
    """A one-day absence created in whatever scope the caller is in (the tests that expect the
    database to refuse it)."""
    return StaffAbsence.objects.create(
        dealer=dealer,
        membership=member,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 1),
        reason="leave",
    )


def absence(dealer: Dealer, member: Membership, **kwargs: Any) -> StaffAbsence:
    with as_dealer(dealer):
        return StaffAbsence.objects.create(
            dealer=dealer,
            membership=member,
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 4),
            reason=StaffAbsence.Reason.LEAVE,
            **kwargs,
        )


@pytest.fixture
def two_dealers() -> tuple[Dealer, Dealer, StaffAbsence, StaffAbsence]:
    a, b = DealerFactory(), DealerFactory()
    return a, b, absence(a, MembershipFactory(dealer=a)), absence(b, MembershipFactory(dealer=b))


def test_manager_raises_without_scope(two_dealers: Any) -> None:
    _a, _b, row_a, _row_b = two_dealers
    for call in (
        StaffAbsence.objects.all,
        StaffAbsence.objects.count,
        lambda: StaffAbsence.objects.filter(pk=row_a.pk).exists(),
        lambda: StaffAbsence.objects.get(pk=row_a.pk),
        lambda: StaffAbsence.objects.values_list("id"),
        lambda: StaffAbsence.objects.filter(pk=row_a.pk).update(note="changed"),
        lambda: StaffAbsence.objects.filter(pk=row_a.pk).delete(),
        lambda: StaffAbsence._base_manager.get(pk=row_a.pk),  # forward FK access uses it
    ):
        with pytest.raises(ScopeError):
            list(call())  # type: ignore[call-overload]
    with as_dealer(row_a.dealer_id):
        assert StaffAbsence.objects.get(pk=row_a.pk).note == ""


def test_as_dealer_filters_to_its_dealer(two_dealers: Any) -> None:
    a, b, row_a, row_b = two_dealers
    with as_dealer(a):
        assert list(StaffAbsence.objects.all()) == [row_a]
        assert not StaffAbsence.objects.filter(pk=row_b.pk).exists()
        with pytest.raises(StaffAbsence.DoesNotExist):
            StaffAbsence.objects.get(pk=row_b.pk)
        assert StaffAbsence.objects.filter(pk=row_b.pk).update(note="x") == 0
        assert StaffAbsence.objects.filter(pk=row_b.pk).delete()[0] == 0
    with as_dealer(b):
        assert StaffAbsence.objects.get(pk=row_b.pk).note == ""


def test_as_dealers_filters_with_in_and_is_read_only(two_dealers: Any) -> None:
    a, b, row_a, row_b = two_dealers
    c = DealerFactory()
    absence(c, MembershipFactory(dealer=c))
    with as_dealers([b, a]) as scope:
        assert scope.read_ids == tuple(sorted((a.pk, b.pk)))
        assert scope.write_ids == ()
        assert '"dealer_id" IN (' in str(StaffAbsence.objects.all().query)
        assert set(StaffAbsence.objects.values_list("pk", flat=True)) == {row_a.pk, row_b.pk}
        # Read only: the database refuses changes even though the ORM filter lets them through.
        assert StaffAbsence.objects.filter(pk=row_a.pk).update(note="hq") == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            new_day_off(a, row_a.membership)
    with as_dealers([a, b], write=True) as scope:
        assert scope.write_ids == scope.read_ids
        assert StaffAbsence.objects.filter(pk=row_a.pk).update(note="ok") == 1


def test_unscoped_allows_the_orm_but_the_database_still_hides_rows(two_dealers: Any) -> None:
    a, _b, row_a, _row_b = two_dealers
    with unscoped():
        assert current_scope() is None
        assert StaffAbsence.objects.count() == 0  # ORM wall off, RLS: nothing visible
        assert list(StaffAbsence.objects.filter(pk=row_a.pk)) == []
        assert StaffAbsence.objects.filter(pk=row_a.pk).update(note="x") == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            new_day_off(a, row_a.membership)
    with as_dealer(a):
        with unscoped():  # inside a dealer scope too: unscoped means no ids at all
            assert StaffAbsence.objects.count() == 0
        assert StaffAbsence.objects.count() == 1


def test_create_for_another_dealer_is_refused_by_the_database(two_dealers: Any) -> None:
    """django-scopes lets .create() through whatever the scope (a documented gap); RLS stops it."""
    a, b, _row_a, row_b = two_dealers
    refused = pytest.raises(DatabaseError, match="row-level security")
    with refused, transaction.atomic(), as_dealer(a):
        new_day_off(b, row_b.membership)
    with as_dealer(b):
        assert StaffAbsence.objects.count() == 1


def test_scopes_nest_and_restore(two_dealers: Any) -> None:
    a, b, row_a, row_b = two_dealers
    with as_dealer(a):
        with as_dealer(b):
            assert list(StaffAbsence.objects.all()) == [row_b]
            with connection.cursor() as cursor:
                cursor.execute("SELECT array_agg(id) FROM dealers_staffabsence")
                assert cursor.fetchone() == ([row_b.pk],)
        assert list(StaffAbsence.objects.all()) == [row_a]
    assert current_scope() is None
    with pytest.raises(ScopeError):
        StaffAbsence.objects.count()


def test_scope_is_reset_when_the_block_raises(two_dealers: Any) -> None:
    a, *_ = two_dealers
    with pytest.raises(RuntimeError), as_dealer(a):
        raise RuntimeError("boom")
    assert current_scope() is None


@pytest.mark.parametrize(
    "bad",
    ["1", "abc", 0, -1, True, False, None, 1.0, Decimal("1"), [1], Dealer()],
    ids=[
        "str-digit",
        "str",
        "zero",
        "negative",
        "true",
        "false",
        "none",
        "float",
        "decimal",
        "list",
        "unsaved-dealer",
    ],
)
def test_bad_dealer_ids_are_rejected(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)), as_dealer(bad):
        pass
    with pytest.raises((TypeError, ValueError)), as_dealers([5, bad]):
        pass
    assert current_scope() is None


def test_scope_ids_reach_the_database_as_integers_only(two_dealers: Any) -> None:
    a, *_ = two_dealers
    with as_dealer(a), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.dealer_ids'), current_setting('app.write_dealer_ids')"
        )
        assert cursor.fetchone() == (str(a.pk), str(a.pk))
    with as_dealers([a.pk, a.pk + 1]), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.dealer_ids'), current_setting('app.write_dealer_ids')"
        )
        assert cursor.fetchone() == (f"{a.pk},{a.pk + 1}", "")
