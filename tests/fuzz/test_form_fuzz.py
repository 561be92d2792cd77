"""Fuzz pass over the HTML form pages: as a signed-in dealer user of the right role, every field
of the main create/edit forms gets bad values (NUL bytes, 100k-character strings, dates like
0001-01-01 / 9999-12-31 / 2026-02-30 / garbage, negative and huge numbers, wrong choices) while
the other fields stay valid. No answer may be a 5xx and nothing may be created or changed. The
same body with only good values must then be accepted and change the dealer's data (the
positive control: the bad bodies really reached the view). List and day pages get bad query
parameters. A fixed table of values (no randomness), so a failure names its field and value."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealers.clock import dealer_zone
from dealers.forms import AbsenceForm, DealerForm
from dealers.models import Dealer, Membership, StaffAbsence
from dealers.services import DATE_LIMIT_FIELDS
from dms.tenancy.context import as_dealer
from leads.forms import funnel as funnel_forms
from leads.forms.customers import CustomerForm
from leads.forms.visits import RegisterContactForm, VisitUpdateForm
from leads.models import (
    Customer,
    FollowUp,
    Lead,
    LeadSettings,
    Notification,
    TimelineEvent,
    Visit,
)
from leads.services.customers import register_contact
from leads.services.followups import create_follow_up
from sales import forms as sales_forms
from sales import models as sales_models
from sales import services
from tests.factories import hq_user, signed_in_client
from tests.sales.conftest import Showroom, make_showroom, quote_spec

pytestmark = pytest.mark.django_db

# A Wednesday morning in Berlin: every "tomorrow 10:00" is inside the opening hours.
NOW = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)
HUGE = "x" * 100_000
NUL = "a\x00b"
TEXT = [NUL, HUGE]
DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "garbage"]
DATETIMES = [
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    "garbage",
]
TIMES = ["25:00", "garbage"]
NUMBERS = ["-1", "-99999999999999999999", "99999999999999999999", "NaN"]
CHOICES = ["not-a-choice", "99999999999999999999"]


def bad_values(field: forms.Field) -> list[str]:
    """The bad values for one form field, by its kind (every text field gets a NUL byte and a
    100,000-character string)."""
    if isinstance(field, forms.BooleanField):
        return []  # a checkbox: any value sent means "ticked", as in every browser
    if isinstance(field, forms.DateTimeField):
        kind = DATETIMES
    elif isinstance(field, forms.DateField):
        kind = DATES
    elif isinstance(field, forms.TimeField):
        kind = TIMES
    elif isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        kind = NUMBERS
    elif isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
        kind = CHOICES
    else:
        kind = []
    return [*TEXT, *kind]


@dataclass
class World:
    room: Showroom
    lead: Lead  # Alice's, in the test-drive stage
    visit: Visit
    follow_up: FollowUp
    drive: sales_models.TestDrive
    accepted: sales_models.Quote  # accepted, no order yet
    order: sales_models.Order
    customer: Customer


def make_world() -> World:
    room = make_showroom()
    dealer = room.dealer
    lead = room.lead(stage="test_drive")
    with as_dealer(dealer):
        visit = register_contact(
            dealer=dealer,
            actor=room.alice,
            kind="walk_in",
            source_code="walk_in",
            name="Vera Visitor",
            phone="030 5550101",
        ).visit
        assert visit is not None
        follow_up = create_follow_up(
            lead=room.lead(stage="visited"),
            actor=room.alice,
            due_at=NOW + dt.timedelta(days=2),
            note="call back",
        )
        drive = room.drive(lead, room.at(room.tomorrow, 10))
        quotes = []
        for colour in (None, "RED"):
            quote = services.create_quote(
                lead=lead, actor=room.alice, spec=quote_spec(colour=colour)
            )
            services.send_quote(quote=quote, actor=room.alice)
            services.accept_quote(quote=quote, actor=room.alice)
            quotes.append(quote)
        order = services.create_order(
            quote=quotes[1], actor=room.alice, deposit_required=Decimal("1000")
        ).obj
        customer = lead.customer
    return World(
        room=room,
        lead=lead,
        visit=visit,
        follow_up=follow_up,
        drive=drive,
        accepted=quotes[0],
        order=order,
        customer=customer,
    )


TENANT_MODELS = (Customer, Lead, LeadSettings, Visit, FollowUp, TimelineEvent, Notification)
MORE_MODELS = (
    sales_models.TestDrive,
    sales_models.Quote,
    sales_models.Order,
    sales_models.Payment,
    StaffAbsence,
)


def snapshot(world: World) -> Any:
    """Every row the forms could write, as values (tenant rows of the dealer, its memberships
    and the dealer itself)."""
    with as_dealer(world.room.dealer):
        rows = [
            sorted(map(repr, model.objects.values_list()))  # type: ignore[attr-defined]
            for model in (*TENANT_MODELS, *MORE_MODELS)
        ]
    rows.append(sorted(map(repr, Membership.objects.filter(dealer=world.room.dealer).values())))
    rows.append(list(Dealer.objects.filter(pk=world.room.dealer.pk).values()))
    return rows


def readable_snapshot(world: World) -> Any:
    """The snapshot, or why it cannot be read (a stored 0001-01-01 has no Python datetime)."""
    try:
        return snapshot(world)
    except Exception as exc:  # noqa: BLE001 - reported as the finding it is
        return f"unreadable: {exc}"


def local(world: World, at: dt.datetime) -> str:
    return timezone.localtime(at, dealer_zone(world.room.dealer)).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Case:
    name: str
    form: type[forms.BaseForm]
    user: str  # "alice", "manager" or "hq_admin"
    url: Callable[[World], str]
    valid: Callable[[World], dict[str, Any]]
    # only these fields (default: every field of the form)
    only: tuple[str, ...] = ()


def _lead_action(action: str) -> Callable[[World], str]:
    return lambda w: reverse("leads:lead_action", args=[w.lead.pk, action])


CASES = [
    Case(
        "visitor log: register",
        RegisterContactForm,
        "alice",
        lambda w: reverse("leads:visit-register"),
        lambda w: {
            "kind": "walk_in",
            "name": "Nina Neu",
            "phone": "030 7770202",
            "email": "",
            "source": "walk_in",
            "vehicle_model": "",
            "party_size": "2",
            "arrived_at": local(w, NOW - dt.timedelta(minutes=20)),
            "left_at": "",
        },
    ),
    Case(
        "visitor log: leave time and outcome",
        VisitUpdateForm,
        "alice",
        lambda w: reverse("leads:visit-edit", args=[w.visit.pk]),
        lambda w: {"left_at": local(w, NOW), "outcome": "info", "note": "brochure"},
    ),
    Case(
        "customer: new",
        CustomerForm,
        "alice",
        lambda w: reverse("leads:customer-add"),
        lambda w: {
            "kind": "person",
            "first_name": "Jan",
            "last_name": "Novak",
            "phone": "0151 23456789",
            "country": "DE",
        },
    ),
    Case(
        "customer: edit",
        CustomerForm,
        "alice",
        lambda w: reverse("leads:customer-edit", args=[w.customer.pk]),
        lambda w: {
            "kind": "person",
            "first_name": "Jana",
            "last_name": w.customer.last_name,
            "phone": w.customer.phone,
            "country": "DE",
            "city": "Potsdam",
        },
    ),
    Case(
        "lead: stage",
        funnel_forms.StageForm,
        "alice",
        _lead_action("stage"),
        lambda w: {"stage": "visited"},
    ),
    Case(
        "lead: grade",
        funnel_forms.GradeForm,
        "alice",
        _lead_action("grade"),
        lambda w: {"grade": "H"},
    ),
    Case(
        "lead: activity",
        funnel_forms.ActivityForm,
        "alice",
        _lead_action("activity"),
        lambda w: {"kind": "call", "summary": "talked about financing"},
    ),
    Case(
        "lead: follow-up",
        funnel_forms.FollowUpCreateForm,
        "alice",
        _lead_action("follow-up"),
        lambda w: {"due_at": local(w, NOW + dt.timedelta(days=5)), "note": "offer"},
    ),
    Case(
        "lead: lost",
        funnel_forms.LostRequestForm,
        "alice",
        _lead_action("lost"),
        lambda w: {"reason": "price", "note": "too expensive"},
    ),
    Case(
        "lead: dormant",
        funnel_forms.DormantForm,
        "alice",
        _lead_action("dormant"),
        lambda w: {"reason": "moved abroad"},
    ),
    Case(
        "lead: waive",
        funnel_forms.WaiveForm,
        "manager",
        _lead_action("waive"),
        lambda w: {"step": "delivery_date_agreed", "reason": "customer collects"},
    ),
    Case(
        "lead: reassign",
        funnel_forms.ReassignForm,
        "manager",
        _lead_action("reassign"),
        lambda w: {"consultant": w.room.bob.pk, "reason": "holiday"},
    ),
    Case(
        "follow-up: reschedule",
        funnel_forms.RescheduleForm,
        "alice",
        lambda w: reverse("leads:follow_up_action", args=[w.follow_up.pk, "reschedule"]),
        lambda w: {"due_at": local(w, NOW + dt.timedelta(days=3)), "reason": "asked to"},
    ),
    Case(
        "follow-up: done",
        funnel_forms.FollowUpDoneForm,
        "alice",
        lambda w: reverse("leads:follow_up_action", args=[w.follow_up.pk, "done"]),
        lambda w: {"result": "reached", "note": "ok"},
    ),
    Case(
        "funnel settings",
        funnel_forms.LeadSettingsForm,
        "manager",
        lambda w: reverse("leads:lead_settings"),
        lambda w: {
            "routing": "round_robin",
            "stale_after_days": "20",
            "pool_after_days": "",
            "max_open_leads": "",
        },
    ),
    Case(
        "test drive: book",
        sales_forms.BookingForm,
        "alice",
        lambda w: reverse("sales:testdrive_create", args=[w.lead.pk]),
        lambda w: {
            "vehicle": w.room.car.pk,
            "day": str(w.room.tomorrow),
            "start_time": "14:00",
            "duration": "60",
        },
    ),
    Case(
        "test drive: check out",
        sales_forms.CheckOutForm,
        "alice",
        lambda w: reverse("sales:testdrive_checkout", args=[w.drive.pk]),
        lambda w: {
            "licence_number": "B072RRE2I55",
            "licence_checked": "on",
            "consent": "on",
            "walk_around": "on",
            "km_out": "1200",
        },
    ),
    Case(
        "quote: new",
        sales_forms.QuoteForm,
        "alice",
        lambda w: reverse("sales:quote_create", args=[w.lead.pk]),
        lambda w: {"trim": "A3-CORE", "discount": "0", "trade_in_value": "0", "payment": "cash"},
    ),
    Case(
        "order: new",
        sales_forms.OrderForm,
        "alice",
        lambda w: reverse("sales:order_create", args=[w.accepted.pk]),
        lambda w: {"deposit_required": "1000", "expected_delivery": "2026-06-01"},
    ),
    Case(
        "order: payment",
        sales_forms.PaymentForm,
        "alice",
        lambda w: reverse("sales:order_payment", args=[w.order.pk]),
        lambda w: {"kind": "deposit", "amount": "500"},
    ),
    Case(
        "order: delivery date and VIN",
        sales_forms.OrderDetailsForm,
        "alice",
        lambda w: reverse("sales:order_details", args=[w.order.pk]),
        lambda w: {"expected_delivery": "2026-07-01", "vin": "WAUZZZ8V0KA123456"},
    ),
    Case(
        "absence: new",
        AbsenceForm,
        "manager",
        lambda w: reverse("dealers:absence-add"),
        lambda w: {
            "membership": Membership.objects.get(user=w.room.bob, dealer=w.room.dealer).pk,
            "starts_on": "2026-03-16",
            "ends_on": "2026-03-18",
            "reason": "leave",
            "note": "",
        },
    ),
    Case(
        "dealer settings (HQ admin)",
        DealerForm,
        "hq_admin",
        lambda w: reverse("dealers:dealer-edit", args=[w.room.dealer.pk]),
        lambda w: {
            "code": w.room.dealer.code,
            "name": w.room.dealer.name,
            "legal_name": w.room.dealer.legal_name,
            "region": w.room.dealer.region_id,
            "country": "DE",
            "timezone": "Europe/Berlin",
            "is_active": "on",
            "showroom_opens_at": "07:30",
            "showroom_closes_at": "19:00",
            "test_drive_days_ahead": "60",
            "follow_up_days_ahead": "120",
            "visit_days_back": "3",
            "delivery_days_ahead": "365",
        },
        only=DATE_LIMIT_FIELDS,  # the rest of HQ's dealer form is the network admin's part
    ),
]


def alerts(response: Any) -> list[str]:
    """The page's error messages (alerts and field errors), for a failure's message."""
    html = response.content.decode()
    found = re.findall(r'class="(?:alert|invalid-feedback)[^"]*"[^>]*>(.*?)</', html, re.S)
    return [" ".join(text.split()) for text in found]


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(world: World, who: str) -> Client:
    user = hq_user("hq_admin") if who == "hq_admin" else getattr(world.room, who)
    client = signed_in_client(user)
    client.raise_request_exception = False  # a crash shows as a 500, named with its input
    return client


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_values_in_every_field_change_nothing(case: Case, frozen: None) -> None:
    world = make_world()
    client = client_for(world, case.user)
    url, valid = case.url(world), case.valid(world)
    names = list(case.only or case.form.base_fields)
    before = snapshot(world)
    failures = []
    for name in names:
        field = case.form.base_fields[name]
        for value in bad_values(field):
            response = client.post(url, {**valid, name: value})
            shown = value if len(value) < 40 else f"{value[:10]}…({len(value)} chars)"
            if response.status_code >= 500:
                failures.append(f"{name}={shown!r}: {response.status_code}")
            elif (after := readable_snapshot(world)) != before:
                failures.append(f"{name}={shown!r}: accepted ({response.status_code})")
                before = after
    assert not failures, "\n".join(failures)
    # positive control: the good body is accepted and changes the dealer's data
    response = client.post(url, valid)
    assert response.status_code in (200, 302), alerts(response)
    assert snapshot(world) != before, f"{case.name}: the valid body changed nothing"


BAD_QUERY = [*TEXT, "0001-01-01", "9999-12-31", "-1", "99999999999999999999"]
PARAMS = (
    "date",
    "day",
    "start",
    "end",
    "period",
    "by",
    "page",
    "per_page",
    "sort",
    "q",
    "status",
    "stage",
    "grade",
    "consultant",
    "source",
    "vehicle_model",
    "vehicle",
    "partial",
    "name",
    "phone",
    "email",
    "next",
    "kind",
    "dealer",
    "month",
    "year",
    "week",
)


def page_urls(world: World) -> list[str]:
    """The dealer's pages of the sales funnel, the showroom and the staff directory."""
    w = world
    return [
        reverse("leads:visitor-log"),
        reverse("leads:customers"),
        reverse("leads:customer-detail", args=[w.customer.pk]),
        reverse("leads:customer-add"),
        reverse("leads:claims"),
        reverse("leads:my_day"),
        reverse("leads:leads"),
        reverse("leads:pool"),
        reverse("leads:grade_table"),
        reverse("leads:lead_detail", args=[w.lead.pk]),
        reverse("leads:funnel"),
        reverse("leads:lead_settings"),
        reverse("leads:approvals"),
        reverse("leads:activity"),
        reverse("leads:notifications"),
        reverse("sales:test_drives"),
        reverse("sales:testdrive_planner"),
        reverse("sales:testdrive_create", args=[w.lead.pk]),
        reverse("sales:testdrive_detail", args=[w.drive.pk]),
        reverse("sales:demo_vehicles"),
        reverse("sales:quotes"),
        reverse("sales:quote_create", args=[w.lead.pk]),
        reverse("sales:quote_detail", args=[w.accepted.pk]),
        reverse("sales:orders"),
        reverse("sales:order_detail", args=[w.order.pk]),
        reverse("dealers:absence-list"),
    ]


def test_bad_query_parameters_never_crash_a_page(frozen: None) -> None:
    world = make_world()
    client = client_for(world, "manager")
    failures = []
    for url in page_urls(world):
        assert client.get(url).status_code < 400, url  # positive control: the page opens
        for value in BAD_QUERY:
            for htmx in (False, True) if value in TEXT else (False,):
                headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
                response = client.get(url, dict.fromkeys(PARAMS, value), **headers)
                if response.status_code >= 500:
                    shown = value if len(value) < 40 else f"{value[:10]}…"
                    failures.append(f"{url}?…={shown!r} (htmx={htmx}): {response.status_code}")
    assert not failures, "\n".join(failures)
