"""A dealer with a departing consultant (Dora) holding a book, two colleagues, a manager."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from dealers.models import Dealer, Membership
from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp, Lead
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    FollowUpFactory,
    LeadFactory,
    OrderFactory,
    TestDriveFactory,
    staff,
)
from tests.leads._funnel import ensure_reference_data


@dataclass
class Book:
    dealer: Dealer
    manager: Any
    dora: Any  # leaving
    eve: Any
    finn: Any
    customers: list[Customer] = field(default_factory=list)
    won: Lead | None = None
    other_customer: Customer | None = None  # eve's own: must never move

    @property
    def dora_membership(self) -> Membership:
        return Membership.objects.get(user=self.dora, dealer=self.dealer)


def make_book(n_customers: int = 4, *, extras: bool = True) -> Book:
    ensure_reference_data()
    dealer = DealerFactory()
    book = Book(
        dealer=dealer,
        manager=staff(dealer, "dealer_manager", first_name="Mona", last_name="Manager"),
        dora=staff(dealer, "consultant", first_name="Dora", last_name="Departing"),
        eve=staff(dealer, "consultant", first_name="Eve", last_name="Early"),
        finn=staff(dealer, "consultant", first_name="Finn", last_name="Fisher"),
    )
    grades = ["H", "A", "B", "C"]
    with as_dealer(dealer):
        for i in range(n_customers):
            customer = CustomerFactory(dealer=dealer, owner=book.dora, last_name=f"Kunde{i}")
            lead = LeadFactory(customer=customer, consultant=book.dora, grade=grades[i % 4])
            FollowUpFactory(lead=lead, due_at=timezone.now() + dt.timedelta(hours=1))
            book.customers.append(customer)
        if extras and book.customers:
            first = book.customers[0]
            lead0 = Lead.objects.filter(customer=first).first()
            TestDriveFactory(lead=lead0)
            # a won deal of Dora's: closed, credited to her; must stay as it is
            won = LeadFactory(
                customer=first,
                consultant=book.dora,
                credited_to=book.dora,
                stage="delivered",
                is_open=False,
                closed_at=timezone.now(),
            )
            book.won = won
            OrderFactory(quote__lead=LeadFactory(customer=book.customers[1], consultant=book.dora))
            # a done follow-up stays with Dora (history)
            FollowUpFactory(lead=lead0, kind="other", done_at=timezone.now())
        book.other_customer = CustomerFactory(dealer=dealer, owner=book.eve)
        LeadFactory(customer=book.other_customer, consultant=book.eve)
    return book


def held_by(dealer: Dealer, user: Any) -> dict[str, int]:
    from sales.models import Order, TestDrive

    with as_dealer(dealer):
        return {
            "customers": Customer.objects.filter(owner=user).count(),
            "open_leads": Lead.objects.filter(consultant=user, is_open=True).count(),
            "follow_ups": FollowUp.objects.filter(owner=user, done_at__isnull=True).count(),
            "test_drives": TestDrive.objects.filter(consultant=user, status="booked").count(),
            "orders": Order.objects.filter(consultant=user, status="open").count(),
        }
