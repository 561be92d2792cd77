"""The dashboard's "Leaving within 30 days" card asks for a handover only while the person still
holds something: once a handover is applied it says there is nothing left to hand over (a
preview alone is not enough). Time is frozen: the leaving date is within the 30 days."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from dealers.handover import services
from dealers.models import Membership
from dms.tenancy.context import as_dealer
from tests.factories import signed_in_client, staff
from tests.ui.helpers import text_of

from ._world import Book, make_book

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TODAY = dt.date(2027, 3, 9)
PROMPT = "Their customers and leads must be reassigned before they leave."


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 3, 9, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def book() -> Book:
    """Dora (4 customers, 4 open leads) leaves in 10 days; so does Tom, a technician, who never
    held any customer. A consultant of another dealer leaves too."""
    book = make_book(extras=False)
    book.dealer.timezone = "Europe/Berlin"
    book.dealer.save(update_fields=["timezone"])
    tom = staff(book.dealer, "technician", first_name="Tom", last_name="Tech")
    leaving = TODAY + dt.timedelta(days=10)
    with as_dealer(book.dealer):
        for user in (book.dora, tom):
            services.mark_leaving(
                membership=Membership.objects.get(user=user, dealer=book.dealer),
                leaving_on=leaving,
                actor=book.manager,
            )
    other = make_book(n_customers=1, extras=False)
    Membership.objects.filter(user=other.dora).update(leaving_on=leaving)
    return book


def _card(book: Book, user: object) -> tuple[str, str]:
    html = signed_in_client(user).get("/").content.decode()
    card = html.split('data-testid="leaving-soon"')[1].split('<div class="col-')[0]
    return text_of(card), card


def test_admin_is_asked_until_the_handover_is_applied(book: Book) -> None:
    admin = staff(book.dealer, "dealer_admin", first_name="Ada", last_name="Admin")
    wizard = reverse("dealers:handover:wizard", args=[book.dora_membership.pk])
    text, card = _card(book, admin)
    assert "Dora Departing (Sales consultant)" in text
    assert "still holds 4 customers · 4 open leads" in text
    assert f'href="{wizard}"' in card and PROMPT in text
    assert "Tom Tech (Technician)" in text and "Nothing left to hand over" in text
    assert text.count("Departing") == 1  # the other dealer's leaver is not listed

    with as_dealer(book.dealer):
        batch = services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=admin, targets=[book.eve, book.finn]
        )
    text, card = _card(book, admin)
    assert "still holds 4 customers" in text and PROMPT in text  # a preview moves nothing

    with as_dealer(book.dealer):
        services.apply_batch(batch=batch, actor=admin)
    text, card = _card(book, admin)
    assert "Dora Departing (Sales consultant)" in text  # still leaving on that day
    assert PROMPT not in text and "still holds" not in text
    assert f'href="{wizard}"' not in card
    assert text.count("Nothing left to hand over") == 2


def test_manager_gets_the_same_answer(book: Book) -> None:
    with as_dealer(book.dealer):
        batch = services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.eve]
        )
        services.apply_batch(batch=batch, actor=book.manager)
    text, _card_html = _card(book, book.manager)
    assert PROMPT not in text and text.count("Nothing left to hand over") == 2
