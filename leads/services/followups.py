"""Follow-ups: database rows with a due time, planned from the grade cadence and from events
(first response, call-backs, after-delivery calls). A periodic task turns due rows into in-app
notifications (and optional e-mails): one notification per follow-up and user, enforced by a
unique index, so running the task twice or after a crash reminds every follow-up exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.clock import day_start, dealer_today, dealer_zone
from dealers.models import Dealer
from dms.accounts.language import every_language, languages_of, speaking, supported
from leads.models import FollowUp, Grade, Lead, Notification

from .reference import defaults
from .routing import lead_url, settings_for
from .timeline import Choice, When, add_timeline_event, said

log = logging.getLogger(__name__)

MANUAL_KINDS = (FollowUp.Kind.CALLBACK, FollowUp.Kind.OTHER)


# --- cadence -------------------------------------------------------------------------------------


def cadence_days() -> dict[str, int | None]:
    """Grade code -> follow-up interval in days (HQ-set); "" (ungraded) follows the slowest
    cadence so no open lead goes without a next contact."""
    rows = dict(Grade.objects.values_list("code", "follow_up_every_days"))
    slowest = max((d for d in rows.values() if d), default=14)
    rows[""] = slowest
    return rows


def _wants_cadence(lead: Lead) -> bool:
    return (
        lead.is_open
        and not lead.in_pool
        and lead.consultant_id is not None
        and lead.first_response_at is not None
        and lead.lost_requested_at is None
        and lead.grade != "O"
    )


def _cadence_due(lead: Lead, days: int) -> dt.datetime:
    base = lead.last_activity_at or lead.created_at or timezone.now()
    return base + dt.timedelta(days=days)


def _open_of_kind(lead: Lead, kind: str) -> FollowUp | None:
    return FollowUp.objects.filter(lead=lead, kind=kind, done_at__isnull=True).first()


def plan_cadence_follow_up(*, lead: Lead, now: dt.datetime | None = None) -> FollowUp | None:
    """Make sure an open lead has its next grade follow-up (one open per lead, by constraint).
    Due `follow_up_every_days` after the last activity. Idempotent."""
    if not _wants_cadence(lead):
        return None
    days = cadence_days().get(lead.grade)
    if not days:
        return None
    existing = _open_of_kind(lead, FollowUp.Kind.CADENCE)
    if existing is not None or lead.consultant_id is None:
        return existing
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                dealer_id=lead.dealer_id,
                lead=lead,
                customer_id=lead.customer_id,
                owner_id=lead.consultant_id,
                kind=FollowUp.Kind.CADENCE,
                due_at=_cadence_due(lead, days),
            )
        ],
        ignore_conflicts=True,  # INSERT ... ON CONFLICT DO NOTHING: a concurrent plan won
    )
    return _open_of_kind(lead, FollowUp.Kind.CADENCE)


def replan_cadence(*, lead: Lead) -> FollowUp | None:
    """After a grade change: the open grade follow-up moves to the new cadence."""
    existing = _open_of_kind(lead, FollowUp.Kind.CADENCE)
    if existing is None:
        return plan_cadence_follow_up(lead=lead)
    days = cadence_days().get(lead.grade)
    if not days or not _wants_cadence(lead):
        return existing
    existing.due_at = _cadence_due(lead, days)
    existing.reminded_at = None
    existing.save(update_fields=["due_at", "reminded_at"])
    Notification.objects.filter(follow_up=existing).delete()  # the old reminder is withdrawn
    return existing


def plan_first_response(*, lead: Lead) -> FollowUp | None:
    if lead.consultant_id is None or lead.first_response_at is not None:
        return None
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                dealer_id=lead.dealer_id,
                lead=lead,
                customer_id=lead.customer_id,
                owner_id=lead.consultant_id,
                kind=FollowUp.Kind.FIRST_RESPONSE,
                due_at=lead.first_response_due or timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
    return _open_of_kind(lead, FollowUp.Kind.FIRST_RESPONSE)


def plan_missing_cadence_follow_ups(*, dealer_id: int, chunk: int = 2000) -> int:
    """Nightly: every open lead that should have a grade follow-up and has none gets one.
    Set-based (batched INSERT ... ON CONFLICT DO NOTHING); rerunning plans nothing twice."""
    days_by_grade = cadence_days()
    open_cadence = FollowUp.objects.filter(
        dealer_id=OuterRef("dealer_id"),
        lead=OuterRef("pk"),
        kind=FollowUp.Kind.CADENCE,
        done_at__isnull=True,
    )
    rows = (
        Lead.objects.filter(
            dealer_id=dealer_id,
            is_open=True,
            in_pool=False,
            consultant__isnull=False,
            first_response_at__isnull=False,
            lost_requested_at__isnull=True,
        )
        .exclude(grade="O")
        .exclude(Exists(open_cadence))
        .values_list(
            "id", "customer_id", "consultant_id", "grade", "last_activity_at", "created_at"
        )
    )
    planned = 0
    batch: list[FollowUp] = []
    for lead_id, customer_id, consultant_id, grade, last_at, created_at in rows.iterator(
        chunk_size=chunk
    ):
        days = days_by_grade.get(grade)
        if not days:
            continue
        batch.append(
            FollowUp(
                dealer_id=dealer_id,
                lead_id=lead_id,
                customer_id=customer_id,
                owner_id=consultant_id,
                kind=FollowUp.Kind.CADENCE,
                due_at=(last_at or created_at) + dt.timedelta(days=days),
            )
        )
        if len(batch) >= chunk:
            FollowUp.objects.bulk_create(batch, ignore_conflicts=True)
            planned += len(batch)
            batch = []
    if batch:
        FollowUp.objects.bulk_create(batch, ignore_conflicts=True)
        planned += len(batch)
    return planned


# --- events --------------------------------------------------------------------------------------


def schedule_after_delivery_calls(*, lead: Lead, delivered_at: dt.datetime) -> list[FollowUp]:
    """The customer journey continues: calls on the HQ's days after delivery (3 and 30).
    Idempotent per lead and due time."""
    owner_id = lead.consultant_id or lead.credited_to_id
    if owner_id is None:
        return []
    planned = []
    for days in defaults().after_delivery_calls_days:
        due = delivered_at + dt.timedelta(days=days)
        follow_up, _created = FollowUp.objects.get_or_create(
            dealer_id=lead.dealer_id,
            lead=lead,
            kind=FollowUp.Kind.AFTER_DELIVERY,
            due_at=due,
            defaults={
                "customer_id": lead.customer_id,
                "owner_id": owner_id,
                "note": _("Call %(days)s days after delivery") % {"days": days},
            },
        )
        planned.append(follow_up)
    return planned


def latest_due(dealer_id: int) -> tuple[dt.datetime, int]:
    """The end of the last local day a follow-up may be planned for, and the dealer's limit in
    days (a follow-up in 2099 would hide from "overdue" and the compliance figures)."""
    dealer = Dealer.objects.get(pk=dealer_id)
    last_day = dealer_today(dealer) + dt.timedelta(days=dealer.follow_up_days_ahead)
    return day_start(dealer, last_day + dt.timedelta(days=1)), dealer.follow_up_days_ahead


def _too_far_ahead(dealer_id: int, due_at: dt.datetime) -> str | None:
    latest, days = latest_due(dealer_id)
    if due_at < latest:  # compare, never convert: 9999-12-31 west of UTC has no UTC time
        return None
    last = date_format(latest.date() - dt.timedelta(days=1), "SHORT_DATE_FORMAT")
    return _("A follow-up can be planned at most %(days)d days ahead (until %(last)s).") % {
        "days": days,
        "last": last,
    }


def create_follow_up(
    *,
    lead: Lead,
    actor: Any,
    due_at: dt.datetime | None,
    kind: str = FollowUp.Kind.CALLBACK,
    note: str = "",
) -> FollowUp:
    """A call-back or other planned contact the consultant promised."""
    errors: dict[str, str] = {}
    if kind not in MANUAL_KINDS:
        errors["kind"] = _("Choose call back or other.")
    if due_at is None:
        errors["due_at"] = _("Give the date and time of the follow-up.")
    elif timezone.is_naive(due_at):
        errors["due_at"] = _("Give a time with its time zone.")
    elif due_at < timezone.now() - dt.timedelta(minutes=5):
        errors["due_at"] = _("The follow-up cannot be in the past.")
    elif (too_far := _too_far_ahead(lead.dealer_id, due_at)) is not None:
        errors["due_at"] = too_far
    owner_id = lead.consultant_id or getattr(actor, "pk", None)
    if owner_id is None:
        errors["lead"] = _("The lead has no consultant.")
    if errors or owner_id is None or due_at is None:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                dealer_id=lead.dealer_id,
                lead=lead,
                customer_id=lead.customer_id,
                owner_id=owner_id,
                kind=kind,
                due_at=due_at,
                note=(note or "").strip()[:300],
            )
    except IntegrityError:
        raise ValidationError(
            {"kind": _("There is already an open follow-up of this kind: reschedule it instead.")},
            code="duplicate",
        ) from None
    add_timeline_event(
        customer=lead.customer,
        lead=lead,
        kind="follow_up_planned",
        summary=said(
            gettext_noop("Follow-up planned for %(due)s"),
            due=When(due_at),  # type: ignore[arg-type]
            tail=f": {follow_up.note}" if follow_up.note else "",
        ),
        actor=actor,
        ref=follow_up,
    )
    return follow_up


def _fmt(at: dt.datetime) -> str:
    """A moment in the current time zone and the active language's short format."""
    return date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


def complete_follow_up(
    *, follow_up: FollowUp, actor: Any, result: str, note: str = "", at: dt.datetime | None = None
) -> FollowUp:
    """Log the outcome of a follow-up: it is done, the outcome goes on the timeline, and the
    next grade follow-up is planned from it."""
    from .leads import record_activity

    if result not in FollowUp.Result.values:
        raise ValidationError({"result": _("Choose the outcome of the follow-up.")})
    at = at or timezone.now()
    note = (note or "").strip()[:300]
    with transaction.atomic():
        follow_up.refresh_from_db(from_queryset=FollowUp.objects.select_for_update())
        if follow_up.done_at is not None:
            raise ValidationError(_("This follow-up is already done."), code="done")
        follow_up.done_at = at
        follow_up.result = result
        if note:
            follow_up.note = note
        follow_up.save(update_fields=["done_at", "result", "note"])
        Notification.objects.filter(follow_up=follow_up, read_at__isnull=True).update(read_at=at)
        summary = said(
            gettext_noop("%(kind)s: %(result)s"),
            kind=Choice("follow_up_kind", follow_up.kind),
            result=Choice("follow_up_result", follow_up.result),
            tail=f" — {note}" if note else "",
        )
        record_activity(
            lead=follow_up.lead, actor=actor, kind="call", summary=summary, ref=follow_up, at=at
        )
    return follow_up


def reschedule_follow_up(
    *, follow_up: FollowUp, actor: Any, due_at: dt.datetime | None, reason: str
) -> FollowUp:
    """Move a follow-up to a new time, with a reason (kept on the row and the timeline)."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Give a reason for rescheduling.")
    if due_at is None:
        errors["due_at"] = _("Give the new date and time.")
    elif timezone.is_naive(due_at):
        errors["due_at"] = _("Give a time with its time zone.")
    elif due_at <= timezone.now():
        errors["due_at"] = _("The new time must be in the future.")
    elif (too_far := _too_far_ahead(follow_up.dealer_id, due_at)) is not None:
        errors["due_at"] = too_far
    if errors or due_at is None:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up.refresh_from_db(from_queryset=FollowUp.objects.select_for_update())
        if follow_up.done_at is not None:
            raise ValidationError(_("This follow-up is already done."), code="done")
        before = follow_up.due_at
        follow_up.rescheduled_from = before
        follow_up.due_at = due_at
        follow_up.reschedule_reason = reason[:200]
        follow_up.reminded_at = None
        follow_up.save(
            update_fields=["rescheduled_from", "due_at", "reschedule_reason", "reminded_at"]
        )
        Notification.objects.filter(follow_up=follow_up).delete()  # withdrawn; reminded anew
        add_timeline_event(
            customer=follow_up.lead.customer,
            lead=follow_up.lead,
            kind="follow_up_rescheduled",
            summary=said(
                gettext_noop("%(kind)s moved from %(before)s to %(after)s: %(reason)s"),
                kind=Choice("follow_up_kind", follow_up.kind),
                before=When(before),
                after=When(due_at),
                reason=reason,
            ),
            actor=actor,
            ref=follow_up,
        )
    return follow_up


# --- reminders (periodic task) -------------------------------------------------------------------


def _reminder_text(follow_up: FollowUp) -> str:
    return _("%(kind)s due %(due)s: %(customer)s") % {
        "kind": follow_up.get_kind_display(),
        "due": _fmt(follow_up.due_at),
        "customer": follow_up.customer,
    }


def _remind_batch(batch: Sequence[FollowUp], *, now: dt.datetime, email: bool) -> None:
    """Notifications for one batch (ON CONFLICT DO NOTHING), each in its owner's language, and
    the rows marked reminded."""
    languages = languages_of(f.owner_id for f in batch)
    notifications = []
    for f in batch:
        with speaking(languages.get(f.owner_id, "")):
            text = _reminder_text(f)[:300]
        every = every_language(lambda f=f: _reminder_text(f))  # type: ignore[misc]
        notifications.append(
            Notification(
                dealer_id=f.dealer_id,
                user_id=f.owner_id,
                kind="follow_up",
                text=text,
                texts={code: line[:300] for code, line in every.items()},
                url=lead_url(f.lead_id),
                follow_up=f,
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    FollowUp.objects.filter(pk__in=[f.pk for f in batch]).update(reminded_at=now)
    if email:
        _email_reminders(batch, now=now)


def _email_reminders(batch: Sequence[FollowUp], *, now: dt.datetime) -> None:
    pending = Notification.objects.filter(
        follow_up__in=[f.pk for f in batch], emailed_at__isnull=True
    ).select_related("user")
    sent = []
    for n in pending:
        if not n.user.email:
            continue
        with speaking(supported(n.user.preferred_language)):
            subject = _("Follow-up due")
        send_mail(
            subject=subject,
            message=n.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[n.user.email],
        )
        sent.append(n.pk)
    Notification.objects.filter(pk__in=sent).update(emailed_at=now)


def send_due_reminders(
    *, dealer_id: int, now: dt.datetime | None = None, batch_size: int = 200
) -> int:
    """Turn the dealer's due and overdue follow-ups into reminders, batch by batch. Each batch is
    its own (sub)transaction: notifications and `reminded_at` are written together or not at all,
    so a crash mid-run loses nothing (the rerun picks up what is left, or everything when the
    whole task's transaction rolled back) and a unique index (follow-up, user) refuses any
    duplicate, even from two workers at once (rows are also claimed with SKIP LOCKED).
    Returns the number of follow-ups reminded."""
    now = now or timezone.now()
    email = settings_for(dealer_id).email_reminders
    zone = dealer_zone(dealer_id)
    reminded = 0
    while True:
        with transaction.atomic():
            batch = list(
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    dealer_id=dealer_id,
                    done_at__isnull=True,
                    reminded_at__isnull=True,
                    due_at__lte=now,
                )
                .select_related("customer")
                .order_by("due_at", "id")[:batch_size]
            )
            if not batch:
                return reminded
            with timezone.override(zone):  # due times as the dealer's staff read them
                _remind_batch(batch, now=now, email=email)
        reminded += len(batch)
