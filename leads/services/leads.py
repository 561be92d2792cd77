"""Leads: opening (with routing), activities, stage moves through the playbook gate, grades and
their progression table, lost (with the manager's approval), dormant, won, and the lead pool.

Every function is keyword-only, validates first (ValidationError with a clear message, nothing
changed) and writes inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.roles import Cap
from dms.accounts.language import every_language
from dms.audit.services import record
from inventory.models import VehicleModel
from leads.models import (
    CLOSED_STAGES,
    FUNNEL_STAGES,
    Customer,
    FollowUp,
    Grade,
    GradeChange,
    Lead,
    LeadSource,
    LostReason,
    Stage,
    StageChange,
    TimelineEvent,
)
from sales.models import PlaybookStep

from . import followups
from .permissions import actor_can, approver_ids, can_hold_leads
from .playbooks import check_gate, complete_step, waive_step
from .routing import (
    assign,
    check_capacity,
    first_response_due,
    notify,
    pool_after_days,
    route_lead,
    settings_for,
)
from .timeline import Choice, Hq, Said, add_timeline_event, said

__all__ = [
    "advance_stage",
    "claim_pool_lead",
    "complete_step",
    "decide_lost",
    "mark_dormant",
    "mark_won",
    "open_lead",
    "pool_stale_leads",
    "record_activity",
    "request_lost",
    "set_grade",
    "waive_step",
]

# Activities that are not a contact with the customer (they do not count as first response).
NON_CONTACT_KINDS = frozenset({"note"})
GRADES_SETTABLE = ("H", "A", "B", "C")


def _name(user: Any) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.get_username()


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(lead: Lead) -> Lead:
    """Reload the lead under a row lock (call inside a transaction)."""
    lead.refresh_from_db(from_queryset=Lead.objects.select_for_update(of=("self",)))
    return lead


def _require_open(lead: Lead) -> None:
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."), code="closed")


def _stage_change(lead: Lead, *, to_stage: str, actor: Any, at: dt.datetime | None = None) -> None:
    before = lead.stage
    lead.stage = to_stage
    change = StageChange.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        from_stage=before,
        to_stage=to_stage,
        changed_by=_actor(actor),
        consultant_id=lead.consultant_id,  # who holds the lead now: the KPI credit snapshot
    )
    if at is not None:  # back-dated moves (imports, won at delivery time)
        StageChange.objects.filter(pk=change.pk).update(changed_at=at)
    add_timeline_event(
        customer=lead.customer,
        lead=lead,
        kind="stage",
        summary=Said(
            gettext_noop("Stage: %(from)s → %(to)s"),
            {"from": Choice("stage", before) if before else "—", "to": Choice("stage", to_stage)},
        ),
        actor=actor,
        at=at,
    )


def _grade_change(lead: Lead, *, to_grade: str, actor: Any) -> None:
    before = lead.grade
    lead.grade = to_grade
    GradeChange.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        from_grade=before,
        to_grade=to_grade,
        changed_by=_actor(actor),
        consultant_id=lead.consultant_id,  # who holds the lead now: credited in the report
    )
    add_timeline_event(
        customer=lead.customer,
        lead=lead,
        kind="grade",
        summary=Said(
            gettext_noop("Grade: %(from)s → %(to)s"), {"from": before or "—", "to": to_grade}
        ),
        actor=actor,
    )


def system_note(render: Callable[[], Any]) -> dict[str, Any]:
    """The fields of a note the system writes on follow-ups: as written now (`note`) and in
    every language (`note_texts`, shown in the reader's)."""
    texts = {code: text[:300] for code, text in every_language(render).items()}
    return {"note": str(render())[:300], "note_texts": texts}


def _close_follow_ups(lead: Lead, *, at: dt.datetime, note: Callable[[], Any]) -> None:
    FollowUp.objects.filter(lead=lead, done_at__isnull=True).exclude(
        kind=FollowUp.Kind.AFTER_DELIVERY
    ).update(done_at=at, **system_note(note))


# --- opening -------------------------------------------------------------------------------------


def open_lead(
    *,
    customer: Customer,
    source: LeadSource | str,
    actor: Any,
    consultant: Any = None,
    vehicle_model: VehicleModel | None = None,
    now: dt.datetime | None = None,
) -> Lead:
    """Open a lead for `customer`. Without a consultant the lead is routed (round robin or by
    load among active, present consultants). The first-response deadline comes from the source."""
    now = now or timezone.now()
    if isinstance(source, str):
        found = LeadSource.objects.filter(code=source).first()
        if found is None:
            raise ValidationError({"source": _("Unknown lead source: %(code)s") % {"code": source}})
        source = found
    if consultant is not None and not can_hold_leads(consultant, customer.dealer_id):
        raise ValidationError(
            {"consultant": _("Choose an active salesperson of this dealer.")}, code="invalid"
        )
    with transaction.atomic():
        lead = Lead(
            dealer_id=customer.dealer_id,
            customer=customer,
            source=source,
            vehicle_model=vehicle_model,
            consultant=consultant,
            assigned_at=now if consultant is not None else None,
        )
        lead.first_response_due = first_response_due(lead, now)
        lead.save()
        opening = StageChange.objects.create(
            dealer_id=lead.dealer_id,
            lead=lead,
            from_stage="",
            to_stage=Stage.NEW,
            changed_by=_actor(actor),
            consultant_id=lead.consultant_id,
        )
        add_timeline_event(
            customer=customer,
            lead=lead,
            kind="lead_opened",
            summary=said(
                gettext_noop("Lead opened (%(source)s)"),
                source=Hq(source.name),
                tail=f" — {vehicle_model.name}" if vehicle_model is not None else "",
            ),
            actor=actor,
            at=now,
        )
        if consultant is None:
            consultant = route_lead(lead=lead, now=now)
            if consultant is not None:
                # The routed consultant is who holds the new lead: the opening's snapshot.
                StageChange.objects.filter(pk=opening.pk).update(consultant=consultant)
        if consultant is not None:
            followups.plan_first_response(lead=lead)
            if customer.owner_id is None:
                Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(
                    owner=consultant, owner_since=now
                )
                customer.owner, customer.owner_since = consultant, now
    return lead


# --- activities ----------------------------------------------------------------------------------


def record_activity(
    *,
    lead: Lead,
    actor: Any,
    kind: str,
    summary: str | Said,
    ref: Any = None,
    at: dt.datetime | None = None,
) -> TimelineEvent:
    """A contact with the customer (call, visit, email, test drive, quote, ...): timeline line,
    last activity, first-response time on the first contact. The open first-response follow-up is
    done; the open grade follow-up is covered by the contact and the next one planned from it. A
    New lead moves to Contacted with its playbook step recorded."""
    if not kind or not str(summary or "").strip():
        raise ValidationError(_("Say what happened."), code="required")
    at = at or timezone.now()
    with transaction.atomic():
        _lock(lead)
        event = add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind=kind,
            summary=summary,
            actor=actor,
            ref=ref,
            at=at,
        )
        fields = ["last_activity_at"]
        if lead.last_activity_at is None or at > lead.last_activity_at:
            lead.last_activity_at = at
        if kind not in NON_CONTACT_KINDS:
            if lead.first_response_at is None:
                lead.first_response_at = at
                fields.append("first_response_at")
            if (
                lead.in_pool
                and lead.is_open
                and _actor(actor) is not None
                and (actor.pk == lead.consultant_id)
            ):
                lead.in_pool, lead.pooled_at = False, None
                fields += ["in_pool", "pooled_at"]
        lead.save(update_fields=fields)
        if kind not in NON_CONTACT_KINDS and lead.is_open:
            FollowUp.objects.filter(
                lead=lead,
                done_at__isnull=True,
                kind__in=[FollowUp.Kind.FIRST_RESPONSE, FollowUp.Kind.CADENCE],
            ).update(
                done_at=at,
                **system_note(lambda: _("Covered by: %(summary)s") % {"summary": summary}),
            )
            if lead.stage == Stage.NEW and _actor(actor) is not None:
                complete_step(lead=lead, step_code="first_contact_logged", actor=actor)
                _stage_change(lead, to_stage=Stage.CONTACTED, actor=actor)
                lead.save(update_fields=["stage"])
            followups.plan_cadence_follow_up(lead=lead, now=at)
    return event


# --- stages --------------------------------------------------------------------------------------


def record_showroom_visit(*, lead: Lead, actor: Any, at: dt.datetime | None = None) -> Lead:
    """A walk-in served in person (the visitor log): the lead reaches Visited, whatever it was
    before (New or Contacted), and never moves back from a later stage.

    The visit itself is the fact the stage stands for ("Visited showroom"), as the first logged
    contact is Contacted's; the visitor log's entry is the evidence, so entering Visited this way
    does not wait for the stage's other playbook steps: the greeting is recorded (the consultant
    met the customer), the needs analysis stays open on the lead's checklist as the next thing
    to do. A move made by hand still needs every required step (advance_stage)."""
    with transaction.atomic():
        _lock(lead)
        if not lead.is_open or lead.lost_requested_at is not None:
            return lead
        if FUNNEL_STAGES.index(Stage(lead.stage)) >= FUNNEL_STAGES.index(Stage.VISITED):
            return lead
        if _actor(actor) is not None:
            defined = set(
                PlaybookStep.objects.filter(
                    code__in=("first_contact_logged", "greeting"), is_active=True
                ).values_list("code", flat=True)
            )
            for code in sorted(defined):
                complete_step(lead=lead, step_code=code, actor=actor)
        _stage_change(lead, to_stage=Stage.VISITED, actor=actor, at=at)
        lead.save(update_fields=["stage"])
    return lead


def advance_stage(*, lead: Lead, to_stage: str, actor: Any) -> Lead:
    """Move an open lead to another funnel stage. Entering a stage needs its required playbook
    steps done (or waived). Order sets grade O; Delivered closes the lead as won. Lost and
    Dormant have their own functions (request_lost, mark_dormant)."""
    if to_stage in (Stage.LOST, Stage.DORMANT):
        raise ValidationError(
            {"stage": _("Lost needs a reason and the manager's approval; Dormant needs a reason.")},
            code="use_close",
        )
    if to_stage not in FUNNEL_STAGES:
        raise ValidationError({"stage": _("Unknown stage: %(stage)s") % {"stage": to_stage}})
    if to_stage == Stage.DELIVERED:
        with transaction.atomic():
            _lock(lead)
            _require_open(lead)
            check_gate(lead=lead, stage=to_stage)
            return mark_won(lead=lead, actor=actor)
    with transaction.atomic():
        _lock(lead)
        _require_open(lead)
        if lead.lost_requested_at is not None:
            raise ValidationError(
                _("A lost request is waiting for the manager's decision."), code="lost_pending"
            )
        if lead.stage == to_stage:
            raise ValidationError(
                {"stage": _("The lead is already at this stage.")}, code="same_stage"
            )
        forward = FUNNEL_STAGES.index(Stage(to_stage)) > FUNNEL_STAGES.index(Stage(lead.stage))
        if forward:
            check_gate(lead=lead, stage=to_stage)
        _stage_change(lead, to_stage=to_stage, actor=actor)
        fields = ["stage"]
        if to_stage == Stage.ORDER and lead.grade != "O":
            _grade_change(lead, to_grade="O", actor=actor)
            fields.append("grade")
        lead.save(update_fields=fields)
        if to_stage == Stage.ORDER:
            _close_follow_ups(
                lead,
                at=timezone.now(),
                note=lambda: _("Ordered: follow-ups come from the delivery plan"),
            )
    return lead


def mark_won(*, lead: Lead, actor: Any, at: dt.datetime | None = None) -> Lead:
    """The car is delivered: the lead closes as won, credited to its consultant at this moment,
    and the after-delivery calls are planned. Called by the delivery service."""
    at = at or timezone.now()
    with transaction.atomic():
        _lock(lead)
        if lead.stage == Stage.DELIVERED:
            return lead  # delivered already: nothing more to do
        _require_open(lead)
        _stage_change(lead, to_stage=Stage.DELIVERED, actor=actor, at=at)
        fields = ["stage", "is_open", "closed_at", "credited_to", "in_pool", "pooled_at"]
        if lead.grade != "O":
            _grade_change(lead, to_grade="O", actor=actor)
            fields.append("grade")
        lead.is_open = False
        lead.closed_at = at
        lead.credited_to_id = lead.consultant_id
        lead.in_pool, lead.pooled_at = False, None
        lead.save(update_fields=fields)
        _close_follow_ups(lead, at=at, note=lambda: _("Delivered"))
        followups.schedule_after_delivery_calls(lead=lead, delivered_at=at)
    return lead


# --- grades --------------------------------------------------------------------------------------


def set_grade(*, lead: Lead, grade: str, actor: Any) -> Lead:
    """Grade an open lead H/A/B/C (O is set by the order). Writes the grade progression table
    and re-plans the grade follow-up with the new cadence."""
    grade = (grade or "").strip().upper()
    if grade == "O":
        raise ValidationError(
            {"grade": _("Grade O is set when the order is signed.")}, code="grade_o"
        )
    if grade not in GRADES_SETTABLE or not Grade.objects.filter(code=grade).exists():
        raise ValidationError(
            {"grade": _("Choose one of the grades H, A, B or C.")}, code="invalid_grade"
        )
    with transaction.atomic():
        _lock(lead)
        _require_open(lead)
        if lead.grade == "O":
            raise ValidationError(
                {"grade": _("The lead is ordered; its grade stays O.")}, code="ordered"
            )
        if lead.grade == grade:
            return lead
        _grade_change(lead, to_grade=grade, actor=actor)
        lead.save(update_fields=["grade"])
        followups.replan_cadence(lead=lead)
    return lead


# --- lost, dormant -------------------------------------------------------------------------------


def _lost_reason(reason: LostReason | str | None) -> LostReason:
    if isinstance(reason, LostReason):
        found: LostReason | None = reason if reason.is_active else None
    elif reason:
        found = LostReason.objects.filter(code=reason, is_active=True).first()
    else:
        found = None
    if found is None:
        raise ValidationError(
            {"reason": _("Choose a reason from the HQ list.")}, code="invalid_reason"
        )
    return found


def request_lost(*, lead: Lead, actor: Any, reason: LostReason | str, note: str = "") -> Lead:
    """Ask to close the lead as lost. It stays open until a sales manager approves."""
    found = _lost_reason(reason)
    with transaction.atomic():
        _lock(lead)
        _require_open(lead)
        if lead.lost_requested_at is not None:
            raise ValidationError(
                _("A lost request is already waiting for the manager's decision."),
                code="lost_pending",
            )
        lead.lost_reason = found
        lead.lost_note = (note or "").strip()[:300]
        lead.lost_requested_at = timezone.now()
        lead.lost_requested_by = _actor(actor)
        lead.save(
            update_fields=["lost_reason", "lost_note", "lost_requested_at", "lost_requested_by"]
        )
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind="lost_requested",
            summary=said(
                gettext_noop("Lost requested: %(reason)s"),
                reason=Hq(found.name),
                tail=f" — {lead.lost_note}" if lead.lost_note else "",
            ),
            actor=actor,
        )
        notify(
            user_ids=[u for u in approver_ids(lead.dealer_id) if u != getattr(actor, "pk", None)],
            dealer_id=lead.dealer_id,
            kind="approval",
            text=lambda: (
                _("%(who)s asks to close %(lead)s as lost: %(reason)s")
                % {"who": _name(_actor(actor)), "lead": lead.customer, "reason": found.display_name}
            ),
            lead=lead,
        )
    return lead


def decide_lost(*, lead: Lead, actor: Any, approve: bool, note: str = "") -> Lead:
    """The sales manager approves (the lead closes as lost) or rejects (it stays open). Audited."""
    if not actor_can(actor, lead.dealer_id, Cap.SALES_APPROVE):
        raise PermissionDenied(_("Only a sales manager may decide lost requests."))
    note = (note or "").strip()[:300]
    now = timezone.now()
    with transaction.atomic():
        _lock(lead)
        if lead.lost_requested_at is None or not lead.is_open:
            raise ValidationError(
                _("There is no lost request waiting on this lead."), code="no_request"
            )
        requester = lead.lost_requested_by_id
        reason = lead.lost_reason
        if approve:
            _stage_change(lead, to_stage=Stage.LOST, actor=actor)
            lead.is_open = False
            lead.closed_at = now
            lead.lost_requested_at = None
            lead.in_pool, lead.pooled_at = False, None
            lead.save(
                update_fields=[
                    "stage",
                    "is_open",
                    "closed_at",
                    "lost_requested_at",
                    "in_pool",
                    "pooled_at",
                ]
            )
            _close_follow_ups(lead, at=now, note=lambda: _("Lost"))
        else:
            lead.lost_reason = None
            lead.lost_requested_at = None
            lead.lost_requested_by = None
            lead.save(update_fields=["lost_reason", "lost_requested_at", "lost_requested_by"])

        decision = said(
            gettext_noop("Lost approved by %(who)s")
            if approve
            else gettext_noop("Lost request rejected by %(who)s"),
            who=_name(actor),
            tail=f": {note}" if note else "",
        )
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind="lost_decided",
            summary=decision,
            actor=actor,
        )
        record(
            action="lost_approved" if approve else "lost_rejected",
            actor=actor,
            dealer=lead.dealer_id,
            obj=lead,
            detail={
                "reason": reason.code if reason else "",
                "note": note,
                "requested_by": requester,
            },
        )
        if requester and requester != actor.pk:
            notify(
                user_ids=[requester],
                dealer_id=lead.dealer_id,
                kind="decision",
                text=decision.__str__,  # the same line, in the requester's language
                lead=lead,
            )
    return lead


def mark_dormant(*, lead: Lead, actor: Any, reason: str) -> Lead:
    """Close the lead as dormant (no approval needed; a reason is)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead goes dormant.")}, code="required")
    now = timezone.now()
    with transaction.atomic():
        _lock(lead)
        _require_open(lead)
        if lead.lost_requested_at is not None:
            raise ValidationError(
                _("A lost request is waiting for the manager's decision."), code="lost_pending"
            )
        _stage_change(lead, to_stage=Stage.DORMANT, actor=actor)
        lead.is_open = False
        lead.closed_at = now
        lead.lost_note = reason[:300]
        lead.in_pool, lead.pooled_at = False, None
        lead.save(
            update_fields=["stage", "is_open", "closed_at", "lost_note", "in_pool", "pooled_at"]
        )
        _close_follow_ups(lead, at=now, note=lambda: _("Dormant"))
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind="dormant",
            summary=said(gettext_noop("Dormant: %(reason)s"), reason=reason),
            actor=actor,
        )
    return lead


# --- the lead pool -------------------------------------------------------------------------------


def pool_stale_leads(*, dealer_id: int, now: dt.datetime | None = None) -> int:
    """Put into the dealer's pool: open leads without activity for N days (not waiting for a
    lost decision) and lost/dormant leads closed N days ago. Set-based; audited as one bulk
    change. Running it twice pools nothing more."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=pool_after_days(settings_for(dealer_id)))
    # An ordered lead is waiting for its car, not stale: it never goes to the pool.
    stale_open = (
        Q(is_open=True, lost_requested_at__isnull=True)
        & ~Q(stage=Stage.ORDER)
        & (Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff))
    )
    closed_out = Q(
        is_open=False,
        stage__in=[Stage.LOST, Stage.DORMANT],
        closed_at__lt=cutoff,
        pooled_at__isnull=True,
    )
    with transaction.atomic():
        ids = list(
            Lead.objects.filter(dealer_id=dealer_id, in_pool=False)
            .filter(stale_open | closed_out)
            .values_list("id", flat=True)
        )
        if not ids:
            return 0
        count = Lead.objects.filter(pk__in=ids).update(in_pool=True, pooled_at=now)
        # The previous consultant no longer gets reminded about pooled leads.
        FollowUp.objects.filter(
            lead_id__in=ids, done_at__isnull=True, kind=FollowUp.Kind.CADENCE
        ).update(done_at=now, **system_note(lambda: _("Lead went to the pool")))
        record(
            action="bulk_change",
            actor=None,
            dealer=dealer_id,
            object_type="leads.Lead",
            count=count,
            detail={"change": "pooled", "lead_ids": ids[:200]},
        )
    return count


def _reopen_stage(lead: Lead) -> str:
    """Where a lost/dormant lead picks up again: the stage it had when it closed."""
    last = (
        StageChange.objects.filter(lead=lead, to_stage__in=CLOSED_STAGES)
        .order_by("-changed_at", "-id")
        .values_list("from_stage", flat=True)
        .first()
    )
    return last if last in FUNNEL_STAGES and last != Stage.DELIVERED else Stage.CONTACTED


def claim_pool_lead(*, lead: Lead, actor: Any) -> Lead:
    """A salesperson takes a lead from the pool (up to the open-lead cap). A lost or dormant lead
    reopens where it stopped. Audited."""
    if not can_hold_leads(actor, lead.dealer_id):
        raise PermissionDenied(_("Only the dealer's salespeople may take pool leads."))
    now = timezone.now()
    with transaction.atomic():
        _lock(lead)
        if not lead.in_pool:
            raise ValidationError(
                _("This lead is no longer in the pool (someone took it)."), code="not_in_pool"
            )
        check_capacity(user=actor, dealer_id=lead.dealer_id)
        before = lead.consultant_id
        fields = ["in_pool", "pooled_at"]
        lead.in_pool, lead.pooled_at = False, None
        if not lead.is_open:
            _stage_change(lead, to_stage=_reopen_stage(lead), actor=actor)
            lead.is_open, lead.closed_at = True, None
            lead.lost_reason, lead.lost_note = None, ""
            lead.lost_requested_at, lead.lost_requested_by = None, None
            fields += [
                "stage",
                "is_open",
                "closed_at",
                "lost_reason",
                "lost_note",
                "lost_requested_at",
                "lost_requested_by",
            ]
        lead.save(update_fields=fields)
        assign(lead=lead, consultant=actor, now=now)
        customer = lead.customer
        others = (
            Lead.objects.filter(customer=customer, is_open=True)
            .exclude(pk=lead.pk)
            .exclude(consultant=actor)
            .exists()
        )
        if customer.owner_id != actor.pk and not others:
            Customer.objects.filter(pk=customer.pk).update(owner=actor, owner_since=now)
            customer.owner_id, customer.owner_since = actor.pk, now
        add_timeline_event(
            customer=customer,
            lead=lead,
            kind="assignment",
            summary=said(gettext_noop("Taken from the lead pool by %(name)s"), name=_name(actor)),
            actor=actor,
        )
        record(
            action="lead_claimed",
            actor=actor,
            dealer=lead.dealer_id,
            obj=lead,
            detail={"from": before, "to": actor.pk},
        )
        followups.plan_cadence_follow_up(lead=lead, now=now)
    return lead


def reassign_lead(*, lead: Lead, to: Any, actor: Any, reason: str = "") -> Lead:
    from .routing import reassign_lead as _reassign

    return _reassign(lead=lead, to=to, actor=actor, reason=reason)


# --- inbound leads (web form, HQ campaign, phone centre via the API) -------------------------------


def receive_lead(
    *,
    dealer: Any,
    actor: Any,
    source: LeadSource | str,
    customer: Customer | None = None,
    contact: dict[str, Any] | None = None,
    vehicle_model: VehicleModel | None = None,
    consultant: Any = None,
    note: str = "",
) -> Lead:
    """A lead arriving from outside the showroom: for a known customer (`customer`, already
    checked visible to the caller) or from contact details (`contact`: first_name, last_name,
    company_name, phone, email), matched against the dealer's customers or created. Without a
    consultant it is routed. A match the caller may not open raises customers.DuplicateCustomer
    (the API answers 409 with only who serves them)."""
    from dealers.roles import Cap as _Cap

    from .customers import DuplicateCustomer, clean_identity, create_customer
    from .permissions import dealer_caps

    caps = dealer_caps(actor, dealer.pk)
    if _Cap.SALES_OWN not in caps:
        raise PermissionDenied(_("Only the dealer's sales staff may record leads."))
    if consultant is None and _Cap.SALES_ALL not in caps:
        consultant = actor  # a consultant's own lead is theirs
    if consultant is not None and consultant != actor and _Cap.SALES_ALL not in caps:
        raise PermissionDenied(_("Only a sales manager may give a lead to someone else."))
    if customer is None and not contact:
        raise ValidationError({"customer": _("Give a customer or the contact details.")})
    created = False
    with transaction.atomic():
        if customer is None:
            contact = contact or {}
            identity = clean_identity(
                dealer=dealer, phone=contact.get("phone"), email=contact.get("email")
            )
            from leads.selectors.customers import find_matches

            matches = find_matches(phone=identity.phone, email=identity.email)
            if matches:
                customer = matches[0]
                sees = _Cap.SALES_ALL in caps or customer.owner_id in (None, actor.pk)
                if not sees:
                    from leads.selectors.customers import conflict_info

                    raise DuplicateCustomer(
                        conflict=conflict_info(customer=customer, actor=actor), customer=None
                    )
            else:
                customer = create_customer(dealer=dealer, actor=actor, data=contact)
                created = True
        if consultant is None and customer.owner_id and not created:
            owner = customer.owner
            if owner is not None and can_hold_leads(owner, dealer.pk):
                consultant = owner  # the customer's consultant keeps them
        if created and consultant is None:
            # The card was made for this lead: its first consultant is whoever the lead goes to.
            Customer.objects.filter(pk=customer.pk).update(owner=None, owner_since=None)
            customer.owner, customer.owner_since = None, None
        lead = open_lead(
            customer=customer,
            source=source,
            actor=actor,
            consultant=consultant,
            vehicle_model=vehicle_model,
        )
        if note.strip():
            add_timeline_event(
                customer=customer, lead=lead, kind="note", summary=note.strip()[:300], actor=actor
            )
    return lead
