"""Shared fixtures of the funnel tests (leads, routing, follow-ups, my day, funnel, approvals).
Import the fixtures you use into the test module:
`from tests.leads._funnel import shop_fixture  # noqa: F401` (pytest finds them by `name`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from leads.models import Lead
from tests.factories import (  # ensure_reference_data: re-exported for the tests using it
    CustomerFactory,
    DealerFactory,
    LeadFactory,
    ensure_reference_data,
    staff,
)


@dataclass
class Shop:
    dealer: Dealer
    manager: Any
    alice: Any  # consultant
    bob: Any  # consultant

    def lead(self, consultant: Any = None, **kwargs: Any) -> Lead:
        with as_dealer(self.dealer):
            customer = CustomerFactory(dealer=self.dealer, owner=consultant)
            lead: Lead = LeadFactory(customer=customer, consultant=consultant, **kwargs)
            return lead


def make_shop(**dealer_kwargs: Any) -> Shop:
    ensure_reference_data()
    dealer = DealerFactory(**dealer_kwargs)
    return Shop(
        dealer=dealer,
        manager=staff(dealer, "sales_manager", first_name="Maria", last_name="Manager"),
        alice=staff(dealer, "consultant", first_name="Alice", last_name="Able"),
        bob=staff(dealer, "consultant", first_name="Bob", last_name="Baker"),
    )


@pytest.fixture(name="shop")
def shop_fixture(db: Any) -> Shop:
    return make_shop()


@pytest.fixture(name="other_shop")
def other_shop_fixture(db: Any) -> Shop:
    return make_shop()


@pytest.fixture(name="signed_in")
def signed_in_fixture() -> Callable[..., Client]:
    """A client signed in as `user` with a verified second factor."""

    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return _login


class _SqlCounter:
    """Counts the SQL statements of a block, leaving out SAVEPOINT / RELEASE / ROLLBACK TO:
    those are the test's transaction wrapping ATOMIC_REQUESTS (BEGIN/COMMIT in production,
    which Django does not log either)."""

    def __init__(self, limit: int) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.limit = limit
        self.context = CaptureQueriesContext(connection)

    def __enter__(self) -> _SqlCounter:
        self.context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.context.__exit__(*exc)
        if exc[0] is not None:
            return
        statements = [
            q["sql"]
            for q in self.context.captured_queries
            if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        self.count = len(statements)
        if self.count > self.limit:
            pytest.fail(
                f"{self.count} SQL statements, expected at most {self.limit}:\n\n"
                + "\n\n".join(s[:300] for s in statements)
            )


@pytest.fixture(name="max_sql")
def max_sql_fixture() -> Callable[[int], _SqlCounter]:
    """`with max_sql(8): client.get(url)` — the whole request, middleware included."""
    return _SqlCounter


def funnel_day(shop: Shop) -> dict[str, Any]:
    """A realistic sales day for `shop` (through the services): graded leads at every stage with
    stage and grade history, overdue / today / tomorrow follow-ups for Alice, a test drive and a
    delivery on her agenda, a lost request waiting, pool leads. Returns the main objects."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from bulletins.models import PriceListVersion
    from inventory.models import Trim, VehicleModel
    from leads.models import FollowUp, LeadSource
    from leads.services import leads as svc
    from sales.models import DemoVehicle, Order, Quote, TestDrive

    now = timezone.now()
    names = [
        ("Jonas", "Weber"),
        ("Lea", "Fischer"),
        ("Mehmet", "Yilmaz"),
        ("Anna", "Schmidt"),
        ("Lukas", "Wagner"),
        ("Sofia", "Becker"),
        ("Paul", "Hoffmann"),
        ("Emma", "Schulz"),
        ("Ben", "Koch"),
        ("Mia", "Richter"),
        ("Noah", "Klein"),
        ("Lina", "Wolf"),
    ]
    models = {m.code: m for m in VehicleModel.objects.all()}
    sources = {s.code: s for s in LeadSource.objects.all()}
    plan = [
        # consultant, model, source, grade, stage path
        ("alice", "X4", "walk_in", "H", ["visited", "test_drive", "quote"]),
        ("alice", "E1", "web", "A", ["visited", "test_drive"]),
        ("alice", "A3", "phone", "B", ["visited"]),
        ("alice", "X7", "hq_campaign", "C", []),
        ("alice", "A5", "walk_in", "H", ["visited", "test_drive", "quote", "order"]),
        ("bob", "X4", "web", "A", ["visited"]),
        ("bob", "V2", "fleet", "B", ["visited", "test_drive", "quote"]),
        ("bob", "E1", "event", "C", []),
    ]
    steps_for = {
        "visited": ["needs_analysis"],
        "test_drive": ["walk_around", "licence_checked"],
        "quote": ["test_drive_offered", "trade_in_appraised"],
        "order": ["deposit_received", "delivery_date_agreed"],
    }
    leads: list[Lead] = []
    with as_dealer(shop.dealer):
        for i, (who, model, source, grade, path) in enumerate(plan):
            user = getattr(shop, who)
            first, last = names[i]
            customer = CustomerFactory(
                dealer=shop.dealer, owner=user, first_name=first, last_name=last
            )
            lead = svc.open_lead(
                customer=customer,
                source=sources[source],
                actor=user,
                consultant=user,
                vehicle_model=models[model],
            )
            svc.record_activity(lead=lead, actor=user, kind="call", summary="First call")
            svc.set_grade(lead=lead, grade="C" if grade != "C" else "B", actor=user)
            svc.set_grade(lead=lead, grade=grade, actor=user)
            for stage in path:
                for code in steps_for[stage]:
                    svc.complete_step(lead=lead, step_code=code, actor=user)
                svc.advance_stage(lead=lead, to_stage=stage, actor=user)
            leads.append(lead)
        # Alice's agenda: overdue, today, tomorrow
        FollowUp.objects.filter(lead__in=leads[:4], done_at__isnull=True).delete()
        for lead, due in (
            (leads[0], now - dt.timedelta(days=1, hours=2)),
            (leads[1], now + dt.timedelta(minutes=30)),
            (leads[2], now + dt.timedelta(hours=26)),
        ):
            FollowUp.objects.create(
                dealer=shop.dealer,
                lead=lead,
                customer=lead.customer,
                owner=shop.alice,
                kind="cadence",
                due_at=due,
            )
        # a test drive today and a delivery tomorrow
        x4 = models["X4"]
        demo = DemoVehicle.objects.create(
            dealer=shop.dealer,
            vehicle_model=x4,
            trim=Trim.objects.filter(vehicle_model=x4).first(),
            vin="LAURX4DEMO0000001",
            plate="B-AM 401",
        )
        start = now + dt.timedelta(hours=2)
        TestDrive.objects.create(
            dealer=shop.dealer,
            lead=leads[1],
            customer=leads[1].customer,
            vehicle=demo,
            consultant=shop.alice,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
        )
        price_version = PriceListVersion.objects.order_by("-valid_from").first()
        trim = Trim.objects.get(code="A5-EXEC")
        quote = Quote.objects.create(
            dealer=shop.dealer,
            lead=leads[4],
            customer=leads[4].customer,
            price_version=price_version,
            trim=trim,
            list_price=Decimal("36990.00"),
            total=Decimal("36990.00"),
            created_by=shop.alice,
            status="accepted",
        )
        Order.objects.create(
            dealer=shop.dealer,
            quote=quote,
            lead=leads[4],
            customer=leads[4].customer,
            consultant=shop.alice,
            total=quote.total,
            ordered_at=now - dt.timedelta(days=20),
            expected_delivery=timezone.localdate() + dt.timedelta(days=1),
        )
        # a lost request waiting for the manager, and two pool leads
        svc.request_lost(
            lead=leads[7], actor=shop.bob, reason="competitor_brand", note="Chose a rival SUV"
        )
        for j, (first, last) in enumerate(names[8:10]):
            customer = CustomerFactory(
                dealer=shop.dealer, owner=shop.bob, first_name=first, last_name=last
            )
            pooled = svc.open_lead(
                customer=customer,
                source="web",
                actor=shop.bob,
                consultant=shop.bob,
                vehicle_model=models["A3" if j else "X7"],
            )
            Lead.objects.filter(pk=pooled.pk).update(
                in_pool=True, pooled_at=now - dt.timedelta(days=j)
            )
    return {"leads": leads, "demo": demo, "quote": quote}
