"""Who may receive a book: active sales colleagues of the dealer who are staying and there.

Someone marked as leaving, absent (for a handover: today; for a cover: every day of it), or
inactive is never offered (wizard, preview, cover form) and is refused by name with the reason
when sent anyway (a crafted POST, a colleague marked leaving after the preview). Lists show
names, not usernames. Time is frozen: "today" is a fixed Tuesday at the dealer."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats

from dealers.handover import selectors, services
from dealers.models import CoverPeriod, Membership, ReassignmentBatch, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.factories import signed_in_client, staff

from ._world import Book, held_by, make_book

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TODAY = dt.date(2027, 3, 9)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 3, 9, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def book() -> Book:
    book = make_book()
    book.dealer.timezone = "Europe/Berlin"
    book.dealer.save(update_fields=["timezone"])
    return book


def _day(day: dt.date) -> str:
    """A date as the messages write it (the English short date format)."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _member(book: Book, user: Any) -> Membership:
    return Membership.objects.get(user=user, dealer=book.dealer)


def _absent(book: Book, user: Any, first: dt.date, last: dt.date) -> None:
    with as_dealer(book.dealer):
        StaffAbsence.objects.create(
            dealer=book.dealer,
            membership=_member(book, user),
            starts_on=first,
            ends_on=last,
            reason=StaffAbsence.Reason.LEAVE,
        )


def _leaving(book: Book, user: Any) -> None:
    with as_dealer(book.dealer):
        services.mark_leaving(
            membership=_member(book, user),
            leaving_on=TODAY + dt.timedelta(days=21),
            actor=book.manager,
        )


def _absent_today(book: Book, user: Any) -> None:
    _absent(book, user, TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=4))


def _not_present(book: Book, user: Any) -> None:
    Membership.objects.filter(user=user, dealer=book.dealer).update(is_present=False)


def _inactive_membership(book: Book, user: Any) -> None:
    Membership.objects.filter(user=user, dealer=book.dealer).update(is_active=False)


def _inactive_account(book: Book, user: Any) -> None:
    type(user).objects.filter(pk=user.pk).update(is_active=False)


UNAVAILABLE: dict[str, tuple[Callable[[Book, Any], None], str]] = {
    "leaving": (_leaving, "Finn Fisher is marked as leaving"),
    "absent today": (_absent_today, f"Finn Fisher is absent on {_day(TODAY)} and cannot"),
    "not present": (_not_present, f"Finn Fisher is absent on {_day(TODAY)} and cannot"),
    "inactive membership": (_inactive_membership, "Finn Fisher cannot receive customers"),
    "inactive account": (_inactive_account, "Finn Fisher cannot receive customers"),
}


def _offered(book: Book) -> list[str]:
    with as_dealer(book.dealer):
        members = selectors.receiving_memberships(dealer=book.dealer, exclude_user_id=book.dora.pk)
    return [m.user.get_full_name() for m in members]


def _plan(book: Book, **kwargs: Any) -> ReassignmentBatch:
    with as_dealer(book.dealer):
        return services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, **kwargs
        )


def _options(html: str, name: str) -> list[str]:
    """The texts of the options of every <select name=...> and the labels of the checkboxes
    named `name` in a page."""
    selects = re.findall(rf'<select name="{name}".*?</select>', html, flags=re.S)
    texts = [t.strip() for s in selects for t in re.findall(r"<option[^>]*>([^<]*)</option>", s)]
    boxes = re.findall(
        rf'<input type="checkbox" name="{name}"[^>]*id="([^"]+)"[^>]*>\s*<label[^>]*>([^<]*)<',
        html,
    )
    return [t for t in texts if t and not t.startswith("---")] + [b[1].strip() for b in boxes]


def test_everyone_available_is_offered_by_name_with_their_load(book: Book) -> None:
    assert _offered(book) == ["Eve Early", "Finn Fisher", "Mona Manager"]
    client = signed_in_client(book.manager)
    page = client.get(reverse("dealers:handover:wizard", args=[book.dora_membership.pk]))
    assert _options(page.content.decode(), "targets") == [
        "Eve Early (1 open lead)",
        "Finn Fisher (0 open leads)",
        "Mona Manager (0 open leads)",
    ]


@pytest.mark.parametrize("why", list(UNAVAILABLE))
def test_unavailable_colleague_is_neither_offered_nor_accepted(book: Book, why: str) -> None:
    make_unavailable, message = UNAVAILABLE[why]
    make_unavailable(book, book.finn)

    assert _offered(book) == ["Eve Early", "Mona Manager"]
    client = signed_in_client(book.manager)
    wizard = reverse("dealers:handover:wizard", args=[book.dora_membership.pk])
    html = client.get(wizard).content.decode()
    assert "Finn Fisher" not in html
    # Sent anyway (a crafted POST, a stale page): refused by name and reason, nothing planned.
    response = client.post(wizard, {"strategy": "balance", "targets": [book.finn.pk]})
    assert response.status_code == 400
    assert "Finn Fisher" not in _options(response.content.decode(), "targets")
    for kwargs in (
        {"targets": [book.eve, book.finn]},
        {"targets": [book.eve], "grade_rules": {"H": book.finn}},
    ):
        with pytest.raises(ValidationError) as error:
            _plan(book, **kwargs)
        assert message in str(error.value), str(error.value)
    with as_dealer(book.dealer):
        assert not ReassignmentBatch.objects.exists()


def test_absent_on_another_day_is_offered(book: Book) -> None:
    _absent(book, book.finn, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=10))
    _absent(book, book.eve, TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=1))
    assert _offered(book) == ["Eve Early", "Finn Fisher", "Mona Manager"]
    batch = _plan(book, targets=[book.eve, book.finn], strategy="balance")
    assert batch.status == "draft"


def test_colleague_marked_leaving_after_the_preview_stops_the_handover(book: Book) -> None:
    batch = _plan(book, targets=[book.eve, book.finn])
    before = held_by(book.dealer, book.dora)
    _leaving(book, book.finn)
    with as_dealer(book.dealer), pytest.raises(ValidationError, match="Finn Fisher is marked"):
        services.apply_batch(batch=batch, actor=book.manager)
    with as_dealer(book.dealer), pytest.raises(ValidationError, match="Finn Fisher is marked"):
        services.reassign_items(batch=batch, to_user=book.finn, actor=book.manager, grade="H")
    assert held_by(book.dealer, book.dora) == before
    assert held_by(book.dealer, book.finn)["customers"] == 0
    # The preview page no longer offers him; the rows he was planned for say so by name.
    client = signed_in_client(book.manager)
    html = client.get(reverse("dealers:handover:batch", args=[batch.pk])).content.decode()
    grade_form = html.split('data-testid="grade-form"')[1].split("</form>")[0]
    assert "Finn Fisher" not in grade_form and "Eve Early (1 open lead)" in grade_form


def test_preview_lists_show_names_not_usernames(book: Book) -> None:
    batch = _plan(book, targets=[book.eve, book.finn])
    client = signed_in_client(book.manager)
    html = client.get(reverse("dealers:handover:batch", args=[batch.pk])).content.decode()
    options = _options(html, "to_user")
    assert "Eve Early (1 open lead)" in options and "Finn Fisher (0 open leads)" in options
    assert {"Eve Early", "Finn Fisher", "Mona Manager"} <= set(options)  # each customer's list
    for user in (book.eve, book.finn, book.manager):
        assert user.username not in options


# --- cover: the colleague must be there for at least part of the period ---------------------------


def _cover(book: Book, covering: Any, first: dt.date, last: dt.date) -> CoverPeriod:
    with as_dealer(book.dealer):
        return services.create_cover(
            absent=book.dora_membership,
            covering=_member(book, covering),
            starts_on=first,
            ends_on=last,
            actor=book.manager,
        )


def test_cover_refuses_a_colleague_absent_for_the_whole_period(book: Book) -> None:
    first, last = TODAY + dt.timedelta(days=7), TODAY + dt.timedelta(days=20)
    # Two absences back to back cover every day of it.
    _absent(book, book.finn, first - dt.timedelta(days=2), first + dt.timedelta(days=5))
    _absent(book, book.finn, first + dt.timedelta(days=6), last + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        _cover(book, book.finn, first, last)
    assert error.value.message_dict == {
        "covering": [
            f"Finn Fisher is absent for the whole period ({_day(first)} to {_day(last)}) and "
            "cannot receive customers."
        ]
    }
    # Eve is away for part of it only: she may cover.
    _absent(book, book.eve, first, first + dt.timedelta(days=3))
    cover = _cover(book, book.eve, first, last)
    assert cover.status == CoverPeriod.Status.PLANNED


def test_cover_refuses_a_colleague_marked_as_leaving_and_the_form_does_not_offer_them(
    book: Book,
) -> None:
    _leaving(book, book.finn)
    clerk = staff(book.dealer, "parts_clerk", first_name="Paul", last_name="Parts")
    with pytest.raises(ValidationError, match="Finn Fisher is marked as leaving"):
        _cover(book, book.finn, TODAY, TODAY + dt.timedelta(days=3))
    with as_dealer(book.dealer):
        assert not CoverPeriod.objects.exists()
    client = signed_in_client(book.manager)
    html = client.get(reverse("dealers:handover:cover-add")).content.decode()
    covering = html.split('name="covering"')[1].split("</select>")[0]
    assert "Eve Early" in covering and "Mona Manager" in covering
    assert "Finn Fisher" not in covering and "Paul Parts" not in covering
    assert clerk.username not in covering
