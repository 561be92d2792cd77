"""Ownership-claim decisions, lead routing and first-response escalation with two connections at
once. Each test races twice: with the service's locks (the rule holds) and with every
select_for_update turned into a plain read (the rule breaks: the test depends on the lock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from leads import tasks
from leads.models import Customer, Lead, LeadSettings, Notification, OwnershipClaim, TimelineEvent
from leads.services import routing
from leads.services.claims import decide_claim, file_claim
from tests.factories import CustomerFactory, LeadFactory, staff
from tests.leads._funnel import make_shop

from ._race import Outcome, Race, kinds, point_after, point_before, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_managers_deciding_one_claim_make_one_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        shop = make_shop()
        deputy = staff(shop.dealer, "dealer_manager", first_name="Dirk", last_name="Deputy")
        with as_dealer(shop.dealer):
            customer = CustomerFactory(dealer=shop.dealer, owner=shop.alice)
            lead = LeadFactory(customer=customer, consultant=shop.alice)
            claim = file_claim(customer=customer, claimant=shop.bob, reason="She asked for me")
        # after the claim's status was read, before it is written
        point_before(monkeypatch, OwnershipClaim, "save", race)

        def decide(actor: Any, approve: bool) -> Callable[[], Any]:
            def call() -> Any:
                with as_dealer(shop.dealer):
                    return decide_claim(
                        claim=OwnershipClaim.objects.get(pk=claim.pk), actor=actor, approve=approve
                    ).status

            return call

        outcomes = race.run(
            {"approver": decide(shop.manager, True), "rejecter": decide(deputy, False)}
        )
        with as_dealer(shop.dealer):
            claim.refresh_from_db()
            return {
                "outcomes": outcomes,
                "claim": claim,
                "owner": Customer.objects.get(pk=customer.pk).owner_id,
                "lead_owner": Lead.objects.get(pk=lead.pk).consultant_id,
                "audits": AuditEntry.objects.filter(
                    action=AuditAction.PERMISSION_CHANGE, dealer=shop.dealer
                ).count(),
                "shop": shop,
                "deputy": deputy,
            }

    held, removed = with_and_without_locks(monkeypatch, scenario)

    outcomes, claim, shop = held["outcomes"], held["claim"], held["shop"]
    assert kinds(outcomes) == ["ok", "refused"], outcomes
    [(winner, decision)] = [(name, o.value) for name, o in outcomes.items() if o.ok]
    [refused] = [o for o in outcomes.values() if o.kind == "refused"]
    assert refused.messages == ["This claim was already decided."]
    assert claim.status == decision == ("approved" if winner == "approver" else "rejected")
    assert claim.decided_by_id == (shop.manager.pk if winner == "approver" else held["deputy"].pk)
    expected_owner = shop.bob.pk if decision == "approved" else shop.alice.pk
    assert held["owner"] == held["lead_owner"] == expected_owner  # ownership follows the decision
    assert held["audits"] == 1
    # without the lock both decide: two audited decisions of one claim
    assert kinds(removed["outcomes"]) == ["ok", "ok"], removed["outcomes"]
    assert removed["audits"] == 2


def test_two_leads_routed_at_the_same_moment_go_round_robin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> tuple[dict[str, Outcome], Any]:
        shop = make_shop()
        with as_dealer(shop.dealer):
            LeadSettings.objects.create(dealer=shop.dealer, routing="round_robin")
            leads = [LeadFactory(customer=CustomerFactory(dealer=shop.dealer)) for _ in range(2)]
        # the settings row (whose turn it is) read, the consultant not yet chosen
        point_after(monkeypatch, routing, "_locked_settings", race)

        def inbound(lead: Lead) -> Callable[[], Any]:
            def call() -> Any:
                with as_dealer(shop.dealer):
                    return routing.route_lead(lead=lead).pk

            return call

        outcomes = race.run({"web-1": inbound(leads[0]), "web-2": inbound(leads[1])})
        return outcomes, shop

    (outcomes, shop), (unlocked, _shop) = with_and_without_locks(monkeypatch, scenario)

    assert kinds(outcomes) == ["ok", "ok"], outcomes
    assert sorted(o.value for o in outcomes.values()) == sorted([shop.alice.pk, shop.bob.pk])
    # without the lock both read the same turn: both leads land on one consultant
    assert kinds(unlocked) == ["ok", "ok"] and len({o.value for o in unlocked.values()}) == 1


def test_two_escalation_workers_route_an_overdue_lead_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        shop = make_shop()
        carl = staff(shop.dealer, "consultant", first_name="Carl", last_name="Clark")
        with as_dealer(shop.dealer):
            LeadSettings.objects.create(dealer=shop.dealer, auto_reassign=True)
            lead = LeadFactory(
                customer=CustomerFactory(dealer=shop.dealer, owner=shop.alice),
                consultant=shop.alice,
                first_response_due=timezone.now() - dt.timedelta(hours=2),
            )
        # the overdue leads are read (and locked); the first is about to be marked escalated
        point_before(monkeypatch, Lead, "save", race)

        def worker() -> Any:
            return tasks.escalate_first_responses(dealer_id=shop.dealer.pk)

        outcomes = race.run({"worker-1": worker, "worker-2": worker})
        with as_dealer(shop.dealer):
            lead.refresh_from_db()
            return {
                "outcomes": outcomes,
                "owner": lead.consultant_id,
                "candidates": {shop.bob.pk, carl.pk},
                "told_managers": Notification.objects.filter(
                    user=shop.manager, kind="escalation"
                ).count(),
                "told_owner": Notification.objects.filter(
                    user_id=lead.consultant_id, kind="assigned"
                ).count(),
                "audits": AuditEntry.objects.filter(
                    action="lead_reassigned", object_id=str(lead.pk)
                ).count(),
                "lines": TimelineEvent.objects.filter(lead=lead, kind="escalation").count(),
            }

    held, removed = with_and_without_locks(monkeypatch, scenario)

    assert kinds(held["outcomes"]) == ["ok", "ok"], held["outcomes"]
    assert sorted(o.value for o in held["outcomes"].values()) == [0, 1]  # one did the work
    assert held["owner"] in held["candidates"]  # one new owner, not Alice who missed it
    assert (held["told_managers"], held["told_owner"], held["audits"], held["lines"]) == (
        1,
        1,
        1,
        1,
    )
    # without the lock both workers escalate and reassign the same lead
    assert sorted(o.value for o in removed["outcomes"].values()) == [1, 1], removed["outcomes"]
    assert (removed["told_managers"], removed["audits"], removed["lines"]) == (2, 2, 2)
