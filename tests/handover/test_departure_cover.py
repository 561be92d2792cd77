"""Departure (scheduled deactivation, sessions and tokens end, writes refused) and temporary
cover (book moves at the start, what is still open comes back at the end)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dealers.handover import services, tasks
from dealers.handover.services import dealer_today
from dealers.models import CoverPeriod, Departure, Membership
from dms.security.models import UserSession
from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead
from tests.factories import TEST_PASSWORD, DealerFactory

from ._world import Book, held_by, make_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> Book:
    return make_book(extras=False)


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    UserSession.objects.get_or_create(user=user, session_key=client.session.session_key)
    return client


def test_mark_leaving_bad_input(book: Book) -> None:
    membership = book.dora_membership
    with as_dealer(book.dealer):
        with pytest.raises(ValidationError, match="leaving date"):
            services.mark_leaving(membership=membership, leaving_on=None, actor=book.manager)
        with pytest.raises(ValidationError, match="yourself"):
            services.mark_leaving(
                membership=Membership.objects.get(user=book.manager),
                leaving_on=timezone.now().date(),
                actor=book.manager,
            )
        with pytest.raises(ValidationError, match="under 200"):
            services.mark_leaving(
                membership=membership,
                leaving_on=timezone.now().date(),
                actor=book.manager,
                reason="x" * 201,
            )
        assert not Departure.objects.exists()
    membership.refresh_from_db()
    assert membership.is_active and membership.leaving_on is None


def test_future_departure_waits_for_the_task_which_is_idempotent(book: Book) -> None:
    client = _login(book.dora)
    token = Token.objects.create(user=book.dora)
    leaving = timezone.now().date() + dt.timedelta(days=3)
    with as_dealer(book.dealer):
        services.mark_leaving(
            membership=book.dora_membership,
            leaving_on=leaving,
            actor=book.manager,
            reason="Moves away",
        )
    book.dora.refresh_from_db()
    assert book.dora.is_active and book.dora_membership.leaving_on == leaving
    # the task before the day: nothing happens
    assert tasks.process_departures(dealer_id=book.dealer.pk) == 0
    with as_dealer(book.dealer):
        assert services.process_due_departures(dealer_id=book.dealer.pk) == 0
    # on the day
    later = timezone.now() + dt.timedelta(days=3, hours=1)
    with as_dealer(book.dealer):
        assert services.process_due_departures(dealer_id=book.dealer.pk, now=later) == 1
        assert services.process_due_departures(dealer_id=book.dealer.pk, now=later) == 0
        assert Departure.objects.get().processed_at is not None
    membership = book.dora_membership
    assert not membership.is_active and not membership.is_present
    book.dora.refresh_from_db()
    assert not book.dora.is_active
    assert not UserSession.objects.filter(user=book.dora).exists()
    assert not Token.objects.filter(user=book.dora).exists()
    # a write attempt afterwards: the browser session is gone (login page), the API token too
    response = client.post(reverse("leads:visit-register"), {"name": "X"})
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post("/api/", {}).status_code == 401
    # and the password no longer logs in
    login_request = RequestFactory().post("/account/login/")
    assert authenticate(login_request, username=book.dora.username, password=TEST_PASSWORD) is None


def test_departure_today_processes_at_once_and_keeps_other_dealer_account(book: Book) -> None:
    second_dealer_membership = Membership.objects.create(
        user=book.dora, dealer=DealerFactory(), role="consultant"
    )
    with as_dealer(book.dealer):
        services.mark_leaving(
            membership=book.dora_membership, leaving_on=timezone.now().date(), actor=book.manager
        )
    assert not book.dora_membership.is_active
    book.dora.refresh_from_db()
    assert book.dora.is_active  # still works at the other dealer
    second_dealer_membership.refresh_from_db()
    assert second_dealer_membership.is_active


def test_departed_consultant_leaves_routing(book: Book) -> None:
    from dealers.handover.selectors import receiving_memberships

    with as_dealer(book.dealer):
        services.mark_leaving(
            membership=book.dora_membership, leaving_on=timezone.now().date(), actor=book.manager
        )
        ids = {m.user_id for m in receiving_memberships(dealer=book.dealer)}
    assert book.dora.pk not in ids and book.eve.pk in ids


def test_cover_moves_the_book_and_gives_back_what_is_open(book: Book) -> None:
    today = timezone.now().date()
    absent = book.dora_membership
    covering = Membership.objects.get(user=book.eve, dealer=book.dealer)
    with as_dealer(book.dealer):
        # bad input first: nothing created
        with pytest.raises(ValidationError, match="on or after"):
            services.create_cover(
                absent=absent,
                covering=covering,
                starts_on=today,
                ends_on=today - dt.timedelta(days=1),
                actor=book.manager,
            )
        with pytest.raises(ValidationError, match="Someone else"):
            services.create_cover(
                absent=absent,
                covering=absent,
                starts_on=today,
                ends_on=today,
                actor=book.manager,
            )
        assert not CoverPeriod.objects.exists()
        cover = services.create_cover(
            absent=absent,
            covering=covering,
            starts_on=today,
            ends_on=today + dt.timedelta(days=7),
            actor=book.manager,
        )
        assert cover.status == "active" and cover.batch is not None
    assert held_by(book.dealer, book.dora)["customers"] == 0
    assert held_by(book.dealer, book.eve)["customers"] == 5  # 4 + her own
    # during the cover Eve wins one deal and a new customer of her own arrives
    with as_dealer(book.dealer):
        won_lead = Lead.objects.filter(customer=book.customers[0], is_open=True).get()
        Lead.objects.filter(pk=won_lead.pk).update(
            stage="delivered", is_open=False, closed_at=timezone.now(), credited_to=book.eve
        )
        # cover not over yet: the task does nothing
        assert services.process_covers(dealer_id=book.dealer.pk) == {"started": 0, "ended": 0}
        later = timezone.now() + dt.timedelta(days=8)
        assert services.process_covers(dealer_id=book.dealer.pk, now=later)["ended"] == 1
        assert services.process_covers(dealer_id=book.dealer.pk, now=later)["ended"] == 0
        cover.refresh_from_db()
        assert cover.status == "ended" and cover.return_batch is not None
        won_lead.refresh_from_db()
        assert won_lead.credited_to_id == book.eve.pk and won_lead.consultant_id == book.eve.pk
        # open leads and cards came back to Dora; Eve's own customer stayed hers
        assert Customer.objects.filter(owner=book.dora).count() == 4
        assert Lead.objects.filter(consultant=book.dora, is_open=True).count() == 3
        assert book.other_customer is not None
        assert Customer.objects.get(pk=book.other_customer.pk).owner_id == book.eve.pk


def test_planned_cover_starts_with_the_task(book: Book) -> None:
    today = timezone.now().date()
    with as_dealer(book.dealer):
        cover = services.create_cover(
            absent=book.dora_membership,
            covering=Membership.objects.get(user=book.finn, dealer=book.dealer),
            starts_on=today + dt.timedelta(days=2),
            ends_on=today + dt.timedelta(days=4),
            actor=book.manager,
        )
        assert cover.status == "planned"
        assert held_by(book.dealer, book.finn)["customers"] == 0
        soon = timezone.now() + dt.timedelta(days=2)
        assert services.process_covers(dealer_id=book.dealer.pk, now=soon)["started"] == 1
    assert held_by(book.dealer, book.finn)["customers"] == 4


def test_beat_dispatcher_runs_the_departure_per_dealer(
    book: Book, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True  # type: ignore[attr-defined]
    from dms.celery import app

    app.conf.task_always_eager = True
    today = dealer_today(book.dealer)  # the dealer's date, not the server's (UTC)
    try:
        with as_dealer(book.dealer):
            services.mark_leaving(
                membership=book.dora_membership,
                leaving_on=today + dt.timedelta(days=1),
                actor=book.manager,
            )
        # due tomorrow: today's run enqueues nothing for this dealer... unless its date is ahead
        Membership.objects.filter(pk=book.dora_membership.pk).update(
            leaving_on=today - dt.timedelta(days=1)
        )
        with as_dealer(book.dealer):
            Departure.objects.update(leaving_on=today - dt.timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            assert tasks.dispatch_departures() >= 1
        assert not book.dora_membership.is_active
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            tasks.dispatch_departures()  # rerun: nothing left for this dealer, no error
    finally:
        app.conf.task_always_eager = False
