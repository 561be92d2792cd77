"""Lead services: opening, activities, the playbook gate, grades, lost/dormant/won, the pool."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import FollowUp, GradeChange, Lead, LeadSettings, Stage, StageChange
from leads.services import leads as svc
from sales.models import LeadStep
from tests.factories import CustomerFactory
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
)

pytestmark = pytest.mark.django_db


def _contacted(shop: Shop, consultant=None) -> Lead:
    lead = shop.lead(consultant or shop.alice)
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=lead.consultant, kind="call", summary="First call")
    return lead


def test_open_lead_with_consultant_sets_deadline_owner_and_first_response_follow_up(shop: Shop):
    with as_dealer(shop.dealer):
        customer = CustomerFactory(dealer=shop.dealer)
        before = timezone.now()
        lead = svc.open_lead(
            customer=customer, source="web", actor=shop.alice, consultant=shop.alice
        )
        assert lead.stage == Stage.NEW and lead.consultant == shop.alice
        # web leads: 30 minutes (grades.json first_response_deadline_minutes)
        assert (
            dt.timedelta(minutes=29) < lead.first_response_due - before < dt.timedelta(minutes=31)
        )
        customer.refresh_from_db()
        assert customer.owner == shop.alice
        fu = FollowUp.objects.get(lead=lead)
        assert fu.kind == FollowUp.Kind.FIRST_RESPONSE and fu.owner == shop.alice
        assert StageChange.objects.filter(lead=lead, from_stage="", to_stage="new").count() == 1


def test_open_lead_rejects_unknown_source_and_outside_consultant(shop: Shop, other_shop: Shop):
    with as_dealer(shop.dealer):
        customer = CustomerFactory(dealer=shop.dealer)
        with pytest.raises(ValidationError, match="Unknown lead source"):
            svc.open_lead(customer=customer, source="carrier_pigeon", actor=shop.alice)
        with pytest.raises(ValidationError, match="active salesperson"):
            svc.open_lead(
                customer=customer, source="web", actor=shop.alice, consultant=other_shop.alice
            )
        assert not Lead.objects.filter(customer=customer).exists()


def test_first_activity_records_first_response_and_moves_new_to_contacted(shop: Shop):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        FollowUp.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=lead.customer,
            owner=shop.alice,
            kind="first_response",
            due_at=timezone.now(),
        )
        at = timezone.now()
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Called", at=at)
        lead.refresh_from_db()
        assert lead.first_response_at == at and lead.last_activity_at == at
        assert lead.stage == Stage.CONTACTED
        assert FollowUp.objects.get(lead=lead, kind="first_response").done_at == at
        # ungraded: the slowest cadence (14 days) from the activity
        cadence = FollowUp.objects.get(lead=lead, kind="cadence", done_at__isnull=True)
        assert cadence.due_at == at + dt.timedelta(days=14)
        # a later activity does not move the first response
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Again")
        lead.refresh_from_db()
        assert lead.first_response_at == at


def test_record_activity_needs_a_summary(shop: Shop):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError, match="Say what happened"):
            svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="  ")
        lead.refresh_from_db()
        assert lead.first_response_at is None and lead.stage == Stage.NEW


def test_playbook_gate_lists_missing_steps_and_changes_nothing(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError) as err:
            svc.advance_stage(lead=lead, to_stage=Stage.VISITED, actor=shop.alice)
        assert "Needs analysis" in str(err.value)
        lead.refresh_from_db()
        assert lead.stage == Stage.CONTACTED
        assert not StageChange.objects.filter(lead=lead, to_stage="visited").exists()
        # an optional step is not needed; the required one is
        svc.complete_step(lead=lead, step_code="needs_analysis", actor=shop.alice)
        svc.advance_stage(lead=lead, to_stage=Stage.VISITED, actor=shop.alice)
        lead.refresh_from_db()
        assert lead.stage == Stage.VISITED


def test_manager_waives_a_step_with_reason_consultant_cannot(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        with pytest.raises(PermissionDenied):
            svc.waive_step(lead=lead, step_code="needs_analysis", actor=shop.alice, reason="x")
        with pytest.raises(ValidationError, match="reason"):
            svc.waive_step(lead=lead, step_code="needs_analysis", actor=shop.manager, reason=" ")
        assert not LeadStep.objects.filter(lead=lead, step__code="needs_analysis").exists()
        svc.waive_step(
            lead=lead, step_code="needs_analysis", actor=shop.manager, reason="Repeat customer"
        )
        svc.advance_stage(lead=lead, to_stage=Stage.VISITED, actor=shop.alice)
        assert AuditEntry.objects.filter(action="step_waived", object_id=str(lead.pk)).count() == 1


def test_unknown_stage_and_step_are_refused(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError, match="Unknown stage"):
            svc.advance_stage(lead=lead, to_stage="flying", actor=shop.alice)
        with pytest.raises(ValidationError, match="reason"):
            svc.advance_stage(lead=lead, to_stage=Stage.LOST, actor=shop.alice)
        with pytest.raises(ValidationError, match="Unknown playbook step"):
            svc.complete_step(lead=lead, step_code="bribe", actor=shop.alice)


def test_order_sets_grade_o_and_won_closes_with_credit_and_after_delivery_calls(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        svc.set_grade(lead=lead, grade="H", actor=shop.alice)
        for code in ("deposit_received", "delivery_date_agreed"):
            svc.complete_step(lead=lead, step_code=code, actor=shop.alice)
        svc.advance_stage(lead=lead, to_stage=Stage.ORDER, actor=shop.alice)
        lead.refresh_from_db()
        assert lead.grade == "O"
        assert list(GradeChange.objects.filter(lead=lead).values_list("to_grade", flat=True)) == [
            "H",
            "O",
        ]
        assert not FollowUp.objects.filter(lead=lead, kind="cadence", done_at__isnull=True).exists()
        with pytest.raises(ValidationError, match="Pre-delivery"):
            svc.advance_stage(lead=lead, to_stage=Stage.DELIVERED, actor=shop.alice)
        delivered = timezone.now()
        svc.mark_won(lead=lead, actor=shop.alice, at=delivered)
        lead.refresh_from_db()
        assert (lead.stage, lead.is_open, lead.credited_to) == ("delivered", False, shop.alice)
        calls = FollowUp.objects.filter(lead=lead, kind="after_delivery").order_by("due_at")
        assert [c.due_at - delivered for c in calls] == [
            dt.timedelta(days=3),
            dt.timedelta(days=30),
        ]
        svc.mark_won(lead=lead, actor=shop.alice, at=delivered)  # idempotent
        assert FollowUp.objects.filter(lead=lead, kind="after_delivery").count() == 2


def test_grades_validated_and_history_kept(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        for bad in ("O", "Z", ""):
            with pytest.raises(ValidationError):
                svc.set_grade(lead=lead, grade=bad, actor=shop.alice)
        assert not GradeChange.objects.filter(lead=lead).exists()
        svc.set_grade(lead=lead, grade="c", actor=shop.alice)
        svc.set_grade(lead=lead, grade="C", actor=shop.alice)  # same grade: no new row
        svc.set_grade(lead=lead, grade="H", actor=shop.alice)
        rows = list(GradeChange.objects.filter(lead=lead).values_list("from_grade", "to_grade"))
        assert rows == [("", "C"), ("C", "H")]
        # the open grade follow-up follows the hotter cadence (H: every 2 days)
        fu = FollowUp.objects.get(lead=lead, kind="cadence", done_at__isnull=True)
        lead.refresh_from_db()
        assert fu.due_at == lead.last_activity_at + dt.timedelta(days=2)


def test_lost_needs_hq_reason_and_manager_approval(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError, match="HQ list"):
            svc.request_lost(lead=lead, actor=shop.alice, reason="didnt_like_my_tie")
        svc.request_lost(lead=lead, actor=shop.alice, reason="price", note="Too expensive")
        lead.refresh_from_db()
        assert lead.is_open and lead.stage == Stage.CONTACTED and lead.lost_requested_at
        with pytest.raises(ValidationError, match="already waiting"):
            svc.request_lost(lead=lead, actor=shop.alice, reason="price")
        with pytest.raises(ValidationError, match="waiting for the manager"):
            svc.advance_stage(lead=lead, to_stage=Stage.VISITED, actor=shop.alice)
        with pytest.raises(PermissionDenied):
            svc.decide_lost(lead=lead, actor=shop.bob, approve=True)
        lead.refresh_from_db()
        assert lead.is_open
        svc.decide_lost(lead=lead, actor=shop.manager, approve=True, note="OK")
        lead.refresh_from_db()
        assert (lead.stage, lead.is_open, lead.lost_reason.code) == ("lost", False, "price")
        assert AuditEntry.objects.filter(action="lost_approved", object_id=str(lead.pk)).exists()
        with pytest.raises(ValidationError, match="no lost request"):
            svc.decide_lost(lead=lead, actor=shop.manager, approve=True)


def test_rejected_lost_request_keeps_lead_open(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="postponed")
        svc.decide_lost(lead=lead, actor=shop.manager, approve=False, note="Call again in May")
        lead.refresh_from_db()
        assert lead.is_open and lead.lost_requested_at is None and lead.lost_reason is None
        assert AuditEntry.objects.filter(action="lost_rejected", object_id=str(lead.pk)).exists()


def test_dormant_needs_a_reason_no_approval(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError, match="dormant"):
            svc.mark_dormant(lead=lead, actor=shop.alice, reason="")
        lead.refresh_from_db()
        assert lead.is_open
        svc.mark_dormant(lead=lead, actor=shop.alice, reason="Moving abroad for a year")
        lead.refresh_from_db()
        assert (lead.stage, lead.is_open, lead.lost_note) == (
            "dormant",
            False,
            "Moving abroad for a year",
        )
        with pytest.raises(ValidationError, match="closed"):
            svc.set_grade(lead=lead, grade="A", actor=shop.alice)


def test_stale_and_closed_leads_go_to_pool_once_and_can_be_claimed(shop: Shop):
    now = timezone.now()
    stale = _contacted(shop)
    fresh = _contacted(shop)
    dormant = _contacted(shop)
    with as_dealer(shop.dealer):
        Lead.objects.filter(pk=stale.pk).update(last_activity_at=now - dt.timedelta(days=31))
        svc.mark_dormant(lead=dormant, actor=shop.alice, reason="Not now")
        Lead.objects.filter(pk=dormant.pk).update(closed_at=now - dt.timedelta(days=40))
        assert svc.pool_stale_leads(dealer_id=shop.dealer.pk, now=now) == 2
        assert svc.pool_stale_leads(dealer_id=shop.dealer.pk, now=now) == 0
        assert set(Lead.objects.filter(in_pool=True).values_list("pk", flat=True)) == {
            stale.pk,
            dormant.pk,
        }
        fresh.refresh_from_db()
        assert not fresh.in_pool
        svc.claim_pool_lead(lead=Lead.objects.get(pk=dormant.pk), actor=shop.bob)
        dormant.refresh_from_db()
        assert dormant.consultant == shop.bob and dormant.is_open and not dormant.in_pool
        assert dormant.stage == Stage.CONTACTED  # where it stopped
        dormant.customer.refresh_from_db()
        assert dormant.customer.owner == shop.bob
        with pytest.raises(ValidationError, match="no longer in the pool"):
            svc.claim_pool_lead(lead=Lead.objects.get(pk=dormant.pk), actor=shop.alice)
        assert AuditEntry.objects.filter(action="lead_claimed").count() == 1
        assert AuditEntry.objects.filter(action="bulk_change", count=2).count() == 1


def test_claim_respects_the_open_lead_cap(shop: Shop):
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, max_open_leads=1)
    shop.lead(shop.bob)
    pooled = shop.lead(shop.alice, in_pool=True, pooled_at=timezone.now())
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError, match="limit is 1"):
            svc.claim_pool_lead(lead=pooled, actor=shop.bob)
        pooled.refresh_from_db()
        assert pooled.in_pool and pooled.consultant == shop.alice


def test_delivered_through_advance_stage_needs_the_handover_steps(shop: Shop):
    lead = _contacted(shop)
    with as_dealer(shop.dealer):
        for code in ("deposit_received", "delivery_date_agreed"):
            svc.complete_step(lead=lead, step_code=code, actor=shop.alice)
        svc.advance_stage(lead=lead, to_stage=Stage.ORDER, actor=shop.alice)
        with pytest.raises(ValidationError, match="Balance paid"):
            svc.advance_stage(lead=lead, to_stage=Stage.DELIVERED, actor=shop.alice)
        lead.refresh_from_db()
        assert lead.is_open and lead.stage == Stage.ORDER
        for code in ("pdi_done", "balance_paid", "handover"):
            svc.complete_step(lead=lead, step_code=code, actor=shop.alice)
        svc.advance_stage(lead=lead, to_stage=Stage.DELIVERED, actor=shop.alice)
        lead.refresh_from_db()
        assert (lead.stage, lead.is_open, lead.credited_to) == ("delivered", False, shop.alice)


def test_reference_data_load_is_idempotent(shop: Shop):
    from django.apps import apps

    from bulletins.models import VehiclePrice
    from leads.models import Grade, LeadSource
    from leads.services.reference import load_reference_data
    from sales.models import PlaybookStep

    before = (
        Grade.objects.count(),
        LeadSource.objects.count(),
        PlaybookStep.objects.count(),
        VehiclePrice.objects.count(),
    )
    load_reference_data(apps)
    after = (
        Grade.objects.count(),
        LeadSource.objects.count(),
        PlaybookStep.objects.count(),
        VehiclePrice.objects.count(),
    )
    assert before == after == (5, 8, 13, 27)
    assert LeadSource.objects.get(code="web").first_response_minutes == 30
    assert LeadSource.objects.get(code="referral").first_response_minutes == 60
    assert PlaybookStep.objects.exclude(guidance="").count() == 13
