"""Fixtures of the showroom tests: a dealer with a sales manager, two consultants (Alice, Bob),
a demo car, and leads at a given stage; another dealer for the cross-dealer checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dealers.clock import dealer_today, dealer_zone
from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from leads.models import Lead
from sales import services
from sales.models import DemoVehicle, Quote, TestDrive
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    DemoVehicleFactory,
    LeadFactory,
    ensure_reference_data,
    signed_in_client,
    staff,
)


@dataclass
class Showroom:
    dealer: Dealer
    manager: Any
    alice: Any
    bob: Any
    car: DemoVehicle

    def lead(self, consultant: Any = "alice", stage: str = "visited", **kwargs: Any) -> Lead:
        user = self.alice if consultant == "alice" else consultant
        with as_dealer(self.dealer):
            customer = CustomerFactory(
                dealer=self.dealer,
                owner=user,
                street="Hauptstr. 1",
                postal_code="10115",
                city="Berlin",
            )
            lead: Lead = LeadFactory(
                customer=customer,
                consultant=user,
                stage=stage,
                first_response_at=timezone.now(),
                **kwargs,
            )
            return lead

    def steps(self, lead: Lead, *codes: str) -> None:
        from leads.services.playbooks import complete_step

        with as_dealer(self.dealer):
            for code in codes:
                complete_step(lead=lead, step_code=code, actor=lead.consultant or self.manager)

    def quote(self, lead: Lead, *, actor: Any = None, **spec: Any) -> Quote:
        with as_dealer(self.dealer):
            return services.create_quote(
                lead=lead, actor=actor or lead.consultant, spec=quote_spec(**spec)
            )

    def drive(
        self,
        lead: Lead,
        start: dt.datetime,
        *,
        minutes: int = 60,
        vehicle: DemoVehicle | None = None,
        actor: Any = None,
    ) -> TestDrive:
        """A test drive booked for `lead` (by its consultant unless `actor` is given) in
        `vehicle`, the showroom's demo car unless given."""
        with as_dealer(self.dealer):
            return services.book_test_drive(
                lead=lead,
                vehicle=vehicle or self.car,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                actor=actor or lead.consultant,
            )

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dealer_zone(self.dealer))

    @property
    def tomorrow(self) -> dt.date:
        return dealer_today(self.dealer) + dt.timedelta(days=1)


def quote_spec(**kwargs: Any) -> services.QuoteSpec:
    from inventory.models import Colour, Trim

    trim = kwargs.pop("trim", "A3-CORE")
    colour = kwargs.pop("colour", None)
    for key in ("discount", "trade_in_value", "down_payment", "annual_rate_percent"):
        if key in kwargs and kwargs[key] is not None:
            kwargs[key] = Decimal(str(kwargs[key]))
    return services.QuoteSpec(
        trim=Trim.objects.get(code=trim),
        colour=Colour.objects.get(code=colour) if colour else None,
        **kwargs,
    )


def make_showroom(**dealer_kwargs: Any) -> Showroom:
    ensure_reference_data()
    dealer = DealerFactory(**dealer_kwargs)
    manager = staff(dealer, "sales_manager", first_name="Maria", last_name="Manager")
    alice = staff(dealer, "consultant", first_name="Alice", last_name="Able")
    bob = staff(dealer, "consultant", first_name="Bob", last_name="Baker")
    with as_dealer(dealer):
        car = DemoVehicleFactory(dealer=dealer, plate="B-AU 100", odometer_km=1200)
    return Showroom(dealer=dealer, manager=manager, alice=alice, bob=bob, car=car)


@pytest.fixture
def room(db: Any) -> Showroom:
    return make_showroom(
        name="Autohaus Nord",
        legal_name="Autohaus Nord GmbH",
        street="Seestraße 5",
        postal_code="13353",
    )


@pytest.fixture
def other_room(db: Any) -> Showroom:
    return make_showroom(name="Autohaus Süd")


@pytest.fixture
def signed_in() -> Callable[..., Client]:
    """A client signed in as `user` with a verified second factor."""
    return signed_in_client
