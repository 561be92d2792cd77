"""Lead routing: round robin / by load among active, present consultants; escalation and
automatic reassignment past the first-response deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dealers.models import Membership, StaffAbsence
from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Lead, LeadSettings, Notification
from leads.services import leads as svc
from leads.services import routing
from tests.factories import CustomerFactory, staff
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
)

pytestmark = pytest.mark.django_db


def _inbound(shop: Shop, source: str = "web") -> Lead:
    with as_dealer(shop.dealer):
        return svc.open_lead(
            customer=CustomerFactory(dealer=shop.dealer), source=source, actor=None
        )


def test_round_robin_alternates_and_skips_managers(shop: Shop):
    owners = [_inbound(shop).consultant for _ in range(4)]
    assert owners == [shop.alice, shop.bob, shop.alice, shop.bob]
    assert shop.manager not in owners


def test_routed_lead_gets_deadline_follow_up_owner_and_notification(shop: Shop):
    lead = _inbound(shop, "hq_campaign")
    with as_dealer(shop.dealer):
        assert lead.assigned_at is not None
        assert lead.first_response_due - lead.created_at == pytest.approx(
            dt.timedelta(minutes=120), abs=dt.timedelta(seconds=5)
        )
        fu = FollowUp.objects.get(lead=lead)
        assert (fu.kind, fu.owner, fu.due_at) == (
            "first_response",
            lead.consultant,
            lead.first_response_due,
        )
        lead.customer.refresh_from_db()
        assert lead.customer.owner == lead.consultant
        assert Notification.objects.filter(user=lead.consultant, kind="assigned").count() == 1


def test_by_load_picks_the_consultant_with_fewest_open_leads(shop: Shop):
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, routing="load")
    for _ in range(3):
        shop.lead(shop.alice)
    shop.lead(shop.bob)
    assert _inbound(shop).consultant == shop.bob
    assert _inbound(shop).consultant == shop.bob
    # now 3 : 3 -> tie, round robin after the last one routed (bob) -> alice
    assert _inbound(shop).consultant == shop.alice


def test_never_routes_to_deactivated_absent_or_not_present_consultants(shop: Shop):
    carol = staff(shop.dealer, "consultant", first_name="Carol")
    dave = staff(shop.dealer, "consultant", first_name="Dave")
    erin = staff(shop.dealer, "consultant", first_name="Erin")
    Membership.objects.filter(user=shop.alice).update(is_active=False)
    Membership.objects.filter(user=shop.bob).update(is_present=False)
    carol.is_active = False
    carol.save()
    with as_dealer(shop.dealer):
        StaffAbsence.objects.create(
            dealer=shop.dealer,
            membership=Membership.objects.get(user=dave),
            starts_on=timezone.localdate() - dt.timedelta(days=1),
            ends_on=timezone.localdate() + dt.timedelta(days=1),
            reason="leave",
        )
    owners = {_inbound(shop).consultant for _ in range(3)}
    assert owners == {erin}


def test_nobody_available_leaves_lead_unassigned_and_tells_managers(shop: Shop):
    Membership.objects.filter(user__in=[shop.alice, shop.bob]).update(is_present=False)
    lead = _inbound(shop)
    with as_dealer(shop.dealer):
        assert lead.consultant is None
        assert not FollowUp.objects.filter(lead=lead).exists()
        assert Notification.objects.filter(user=shop.manager, kind="unassigned").count() == 1


def test_routing_skips_consultants_at_the_cap(shop: Shop):
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, max_open_leads=1)
    shop.lead(shop.alice)
    assert [_inbound(shop).consultant for _ in range(1)] == [shop.bob]
    assert _inbound(shop).consultant is None  # both full


def test_escalation_notifies_managers_once_and_can_reassign(shop: Shop):
    lead = _inbound(shop)  # alice
    assert lead.consultant == shop.alice
    later = timezone.now() + dt.timedelta(hours=1)
    with as_dealer(shop.dealer):
        assert routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk) == 0  # not due
        assert routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk, now=later) == 1
        assert routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk, now=later) == 0
        assert Notification.objects.filter(user=shop.manager, kind="escalation").count() == 1
        lead.refresh_from_db()
        assert lead.consultant == shop.alice and lead.escalated_at == later  # no auto reassign

    lead2 = _inbound(shop)  # bob
    with as_dealer(shop.dealer):
        LeadSettings.objects.filter(dealer=shop.dealer).update(auto_reassign=True)
        routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk, now=later)
        lead2.refresh_from_db()
        assert lead2.consultant == shop.alice
        assert lead2.first_response_due > later
        assert FollowUp.objects.get(lead=lead2, done_at__isnull=True).owner == shop.alice
        assert AuditEntry.objects.filter(action="lead_reassigned", object_id=str(lead2.pk)).exists()


def test_answered_leads_are_not_escalated(shop: Shop):
    lead = _inbound(shop)
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=lead.consultant, kind="call", summary="Called back")
        lead.refresh_from_db()
        assert lead.first_response_at is not None
        later = timezone.now() + dt.timedelta(days=1)
        assert routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk, now=later) == 0


def test_other_dealers_consultants_and_leads_are_untouched(shop: Shop, other_shop: Shop):
    owners = {_inbound(shop).consultant for _ in range(4)}
    assert owners <= {shop.alice, shop.bob}
    other = _inbound(other_shop)
    later = timezone.now() + dt.timedelta(hours=1)
    with as_dealer(shop.dealer):
        routing.escalate_overdue_first_responses(dealer_id=shop.dealer.pk, now=later)
    with as_dealer(other_shop.dealer):
        other.refresh_from_db()
        assert other.escalated_at is None
        assert not Notification.objects.filter(kind="escalation").exists()


def test_manager_reassigns_with_audit_consultant_may_not(shop: Shop):
    from django.core.exceptions import PermissionDenied, ValidationError

    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        with pytest.raises(PermissionDenied):
            svc.reassign_lead(lead=lead, to=shop.bob, actor=shop.alice)
        with pytest.raises(ValidationError, match="already with"):
            svc.reassign_lead(lead=lead, to=shop.alice, actor=shop.manager)
        svc.reassign_lead(lead=lead, to=shop.bob, actor=shop.manager, reason="Alice on holiday")
        lead.refresh_from_db()
        assert lead.consultant == shop.bob
        assert AuditEntry.objects.filter(action="lead_reassigned", object_id=str(lead.pk)).exists()
