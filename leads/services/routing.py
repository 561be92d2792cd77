"""Lead routing: leads that arrive without a consultant (phone, web form, HQ campaign via the API)
go to an active, present consultant by round robin or by load (a per-dealer setting); a lead
untouched past its first-response deadline is escalated to the sales managers and, where the
dealer allows it, reassigned automatically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.clock import dealer_today, dealer_zone
from dealers.models import Dealer, Membership
from dealers.roles import Cap, DealerRole
from dealers.selectors import absent_membership_ids
from dms.accounts.language import every_language, in_each_language
from dms.audit.services import record
from dms.ui.dates import human_datetime, human_time
from leads.models import FollowUp, Lead, LeadSettings, Notification

from .permissions import actor_can, approver_ids, can_hold_leads
from .reference import defaults
from .timeline import add_timeline_event, said

# --- settings ------------------------------------------------------------------------------------


def settings_for(dealer_id: int) -> LeadSettings:
    """The dealer's settings row, or an unsaved one holding the defaults."""
    found = LeadSettings.objects.filter(dealer_id=dealer_id).first()
    return found or LeadSettings(dealer_id=dealer_id)


def pool_after_days(s: LeadSettings) -> int:
    return s.pool_after_days or defaults().pool_after_days_without_activity


def max_open_leads(s: LeadSettings) -> int:
    return s.max_open_leads or defaults().max_open_leads_per_consultant


def _locked_settings(dealer_id: int) -> LeadSettings:
    """The settings row, created if missing, locked for this transaction (serialises routing)."""
    LeadSettings.objects.bulk_create([LeadSettings(dealer_id=dealer_id)], ignore_conflicts=True)
    return LeadSettings.objects.select_for_update().get(dealer_id=dealer_id)


def update_lead_settings(*, dealer_id: int, actor: Any, **values: Any) -> LeadSettings:
    """Managers change the dealer's funnel settings (audited)."""
    if not actor_can(actor, dealer_id, Cap.SALES_APPROVE):
        raise PermissionDenied(_("Only a sales manager may change lead settings."))
    allowed = {
        "routing",
        "auto_reassign",
        "pool_after_days",
        "max_open_leads",
        "stale_after_days",
        "email_reminders",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(
            _("Unknown settings: %(names)s"), params={"names": ", ".join(unknown)}
        )
    with transaction.atomic():
        s = _locked_settings(dealer_id)
        for name, value in values.items():
            setattr(s, name, value)
        s.full_clean(exclude=["dealer", "last_routed_to"])
        s.save()
        record(
            action="settings_change",
            actor=actor,
            dealer=dealer_id,
            obj=s,
            detail={k: str(v) for k, v in values.items()},
        )
    return s


# --- who may receive leads -----------------------------------------------------------------------


def eligible_consultants(*, dealer_id: int, on: dt.date) -> list[Any]:
    """Active, present consultants not absent on `on` and not past their leaving date,
    in a stable order (user id)."""
    absent = absent_membership_ids(dealer=Dealer(pk=dealer_id), on=on)
    memberships = (
        Membership.objects.filter(
            dealer_id=dealer_id,
            role=DealerRole.CONSULTANT,
            is_active=True,
            is_present=True,
            user__is_active=True,
        )
        .filter(Q(leaving_on__isnull=True) | Q(leaving_on__gt=on))
        .exclude(pk__in=absent)
        .select_related("user")
        .order_by("user_id")
    )
    return [m.user for m in memberships]


def open_lead_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Open, unpooled leads per consultant (bounded: at most the cap per consultant)."""
    rows = (
        Lead.objects.filter(consultant_id__in=user_ids, is_open=True, in_pool=False)
        .values("consultant_id")
        .annotate(n=Count("id"))
    )
    return {r["consultant_id"]: r["n"] for r in rows}


def check_capacity(*, user: Any, dealer_id: int) -> None:
    """Raise a clear error when `user` already holds the maximum number of open leads."""
    cap = max_open_leads(settings_for(dealer_id))
    held = Lead.objects.filter(consultant=user, is_open=True, in_pool=False).count()
    if held >= cap:
        raise ValidationError(
            _(
                "%(name)s already has %(held)s open leads; the limit is %(cap)s. Close or hand "
                "over a lead first."
            ),
            code="lead_cap",
            params={"name": user.get_full_name() or user.get_username(), "held": held, "cap": cap},
        )


def pick_consultant(
    *, dealer_id: int, exclude: tuple[int, ...] = (), now: dt.datetime | None = None
) -> Any | None:
    """The next consultant for a routed lead, or None when nobody can take it. Call inside a
    transaction: the dealer's settings row is locked so concurrent routings take turns."""
    s = _locked_settings(dealer_id)
    candidates = [
        u
        for u in eligible_consultants(dealer_id=dealer_id, on=dealer_today(dealer_id, now))
        if u.pk not in exclude
    ]
    if not candidates:
        return None
    counts = open_lead_counts(user_ids=[u.pk for u in candidates])
    cap = max_open_leads(s)
    candidates = [u for u in candidates if counts.get(u.pk, 0) < cap]
    if not candidates:
        return None
    if s.routing == LeadSettings.Routing.LOAD:
        # Fewest open leads; ties go round robin after the last one routed to.
        fewest = min(counts.get(u.pk, 0) for u in candidates)
        candidates = [u for u in candidates if counts.get(u.pk, 0) == fewest]
    last = s.last_routed_to_id or 0
    chosen = next((u for u in candidates if u.pk > last), candidates[0])
    s.last_routed_to = chosen
    s.save(update_fields=["last_routed_to", "updated_at"])
    return chosen


def first_response_due(lead: Lead, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(minutes=lead.source.first_response_minutes)


def assign(*, lead: Lead, consultant: Any, now: dt.datetime) -> None:
    """Give the lead (and its open first-response follow-up) to `consultant`."""
    lead.consultant = consultant
    lead.assigned_at = now
    lead.save(update_fields=["consultant", "assigned_at"])
    FollowUp.objects.filter(lead=lead, done_at__isnull=True).exclude(
        kind=FollowUp.Kind.AFTER_DELIVERY
    ).update(owner=consultant)


def route_lead(*, lead: Lead, exclude: tuple[int, ...] = (), now: dt.datetime | None = None) -> Any:
    """Assign a lead that has no consultant. Returns the consultant or None (nobody available:
    the managers are told, the lead waits unassigned and is escalated by the periodic task)."""
    now = now or timezone.now()
    with transaction.atomic():
        consultant = pick_consultant(dealer_id=lead.dealer_id, exclude=exclude, now=now)
        if consultant is None:
            notify(
                user_ids=approver_ids(lead.dealer_id),
                dealer_id=lead.dealer_id,
                kind="unassigned",
                text=lambda: (
                    _("No consultant available for lead %(lead)s: assign it by hand.")
                    % {"lead": lead.customer}
                ),
                lead=lead,
            )
            return None
        assign(lead=lead, consultant=consultant, now=now)
        zone = dealer_zone(lead.dealer_id)
        notify(
            user_ids=[consultant.pk],
            dealer_id=lead.dealer_id,
            kind="assigned",
            text=lambda: (
                _("New lead for you: %(lead)s — respond by %(due)s")
                % {
                    "lead": lead.customer,
                    # On the dealer's wall clock, as My day shows it (routing also runs in
                    # workers and the API, where no dealer zone is active).
                    "due": _due_text(lead.first_response_due or now, now, zone),
                }
            ),
            lead=lead,
        )
        return consultant


def reassign_lead(*, lead: Lead, to: Any, actor: Any, reason: str = "") -> Lead:
    """A manager hands a lead to another consultant (audited)."""
    if not actor_can(actor, lead.dealer_id, Cap.SALES_REASSIGN):
        raise PermissionDenied(_("Only a sales manager may reassign leads."))
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."), code="closed")
    if to is None or not can_hold_leads(to, lead.dealer_id):
        raise ValidationError(
            {"consultant": _("Choose an active salesperson of this dealer.")}, code="invalid"
        )
    if lead.consultant_id == to.pk:
        raise ValidationError({"consultant": _("The lead is already with this consultant.")})
    check_capacity(user=to, dealer_id=lead.dealer_id)
    now = timezone.now()
    with transaction.atomic():
        before = lead.consultant_id
        lead.in_pool = False
        lead.pooled_at = None
        lead.save(update_fields=["in_pool", "pooled_at"])
        assign(lead=lead, consultant=to, now=now)
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind="assignment",
            summary=said(
                gettext_noop("Lead handed to %(name)s"),
                name=to.get_full_name() or to.get_username(),
                tail=f" ({reason})" if reason else "",
            ),
            actor=actor,
        )
        record(
            action="lead_reassigned",
            actor=actor,
            dealer=lead.dealer_id,
            obj=lead,
            detail={"from": before, "to": to.pk, "reason": reason[:200]},
        )
        notify(
            user_ids=[to.pk],
            dealer_id=lead.dealer_id,
            kind="assigned",
            text=lambda: _("Lead handed to you: %(lead)s") % {"lead": lead.customer},
            lead=lead,
        )
    return lead


# --- notifications -------------------------------------------------------------------------------


def _due_text(due: dt.datetime, now: dt.datetime, zone: Any) -> str:
    """ "14:05" today, "8 Dec, 09:00" on another day (outside opening hours)."""
    if timezone.localtime(due, zone).date() == timezone.localtime(now, zone).date():
        return human_time(due, zone)
    return human_datetime(due, zone=zone)


def lead_url(lead_id: int) -> str:
    return reverse("leads:lead_detail", args=[lead_id])


def notify(
    *,
    user_ids: list[int],
    dealer_id: int,
    kind: str,
    text: Callable[[], str],
    lead: Lead | None = None,
    url: str = "",
) -> int:
    """In-app notifications; `text` builds the message and is called in each reader's own
    language (dms.accounts.language.in_each_language), not the sender's or the worker's, and in
    every language (`texts`): a reader who switches language reads it in the new one."""
    if not user_ids:
        return 0
    url = url or (lead_url(lead.pk) if lead is not None else "")
    texts = in_each_language(user_ids, text)
    every = {code: body[:300] for code, body in every_language(text).items()}
    Notification.objects.bulk_create(
        [
            Notification(
                dealer_id=dealer_id, user_id=uid, kind=kind, text=body[:300], texts=every, url=url
            )
            for uid, body in texts.items()
        ]
    )
    return len(texts)


# --- escalation (periodic) -----------------------------------------------------------------------


def escalate_overdue_first_responses(*, dealer_id: int, now: dt.datetime | None = None) -> int:
    """Leads still without a first response past their deadline: tell the managers once and,
    where the dealer allows it, hand them to the next consultant. Safe to run twice."""
    now = now or timezone.now()
    s = settings_for(dealer_id)
    managers = approver_ids(dealer_id)
    done = 0
    with transaction.atomic(), timezone.override(dealer_zone(dealer_id)):
        overdue = list(
            Lead.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                dealer_id=dealer_id,
                is_open=True,
                first_response_at__isnull=True,
                escalated_at__isnull=True,
                first_response_due__lt=now,
            )
            .select_related("customer", "source", "consultant")
            .order_by("first_response_due")[:500]
        )
        for lead in overdue:
            before = lead.consultant
            lead.escalated_at = now
            lead.save(update_fields=["escalated_at"])

            def escalation(lead: Lead = lead, before: Any = before) -> str:
                return _(
                    "No first response to %(lead)s (%(source)s) since %(due)s; consultant: %(who)s"
                ) % {
                    "lead": lead.customer,
                    "source": lead.source.display_name,
                    "due": date_format(
                        timezone.localtime(lead.first_response_due), "SHORT_DATETIME_FORMAT"
                    ),
                    "who": (before.get_full_name() or before.get_username())
                    if before
                    else _("nobody"),
                }

            notify(
                user_ids=managers,
                dealer_id=dealer_id,
                kind="escalation",
                text=escalation,
                lead=lead,
            )
            summary = said(
                gettext_noop("Escalated to the sales manager: no first response in time")
            )
            if s.auto_reassign:
                exclude = (before.pk,) if before else ()
                chosen = pick_consultant(dealer_id=dealer_id, exclude=exclude, now=now)
                if chosen is not None:
                    lead.first_response_due = first_response_due(lead, now)
                    lead.save(update_fields=["first_response_due"])
                    assign(lead=lead, consultant=chosen, now=now)
                    name = chosen.get_full_name() or chosen.get_username()
                    summary = said(
                        gettext_noop(
                            "Escalated to the sales manager: no first response in time — "
                            "reassigned to %(name)s"
                        ),
                        name=name,
                    )

                    def reassigned(lead: Lead = lead) -> str:
                        return _("Lead reassigned to you (no response in time): %(lead)s") % {
                            "lead": lead.customer
                        }

                    notify(
                        user_ids=[chosen.pk],
                        dealer_id=dealer_id,
                        kind="assigned",
                        text=reassigned,
                        lead=lead,
                    )
                    record(
                        action="lead_reassigned",
                        actor=None,
                        dealer=dealer_id,
                        obj=lead,
                        detail={
                            "from": before.pk if before else None,
                            "to": chosen.pk,
                            "reason": "first response overdue",
                        },
                    )
            add_timeline_event(
                customer=lead.customer, lead=lead, kind="escalation", summary=summary, at=now
            )
            done += 1
    return done
