"""Departure, bulk reassignment and temporary cover: the business rules.

Call inside the dealer's tenant scope (request, task or command). Every function is keyword-only
and raises django.core.exceptions.ValidationError with a clear message, changing nothing, on bad
input.

Applying a batch is set-based: per receiving colleague ONE `QuerySet.update()` per table, filtered
by the batch's customers through a sub-select of its items; timeline events and notifications are
inserted with bulk_create; one audit entry. The batch row is locked (SELECT ... FOR UPDATE) so a
second apply waits and then finds it applied (no-op); the customers are locked too, so two
conflicting batches over the same customers cannot both succeed: the second finds the cards no
longer held by the person it was planned from and is refused as a whole.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from dealers.clock import dealer_today
from dealers.models import (
    CoverPeriod,
    Dealer,
    Departure,
    Membership,
    ReassignmentBatch,
    ReassignmentItem,
)
from dealers.signals import membership_changed
from dms.accounts.language import languages_of, speaking
from dms.audit.models import AuditAction
from dms.audit.services import record
from leads.timeline_lines import Choice, Said

from .selectors import GRADE_ORDER, SALES_ROLES, absent_throughout, book_customer_ids

Batch = ReassignmentBatch
MAX_REASON = 200


def _display(user: Any) -> str:
    return user.get_full_name() or user.get_username()


# --- departure ------------------------------------------------------------------------------------


def mark_leaving(
    *,
    membership: Membership,
    leaving_on: dt.date | None,
    actor: Any,
    reason: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Departure:
    """Record that a staff member leaves on `leaving_on`. Today or earlier: processed at once
    (membership and, if it was their last, account deactivated; sessions and tokens ended)."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if leaving_on is None:
        errors["leaving_on"] = _("Give the last working day (leaving date).")
    if len(reason) > MAX_REASON:
        errors["reason"] = _("Keep the reason under %(n)d characters.") % {"n": MAX_REASON}
    if membership.user_id == getattr(actor, "pk", None):
        errors["membership"] = _("You cannot mark yourself as leaving.")
    elif not membership.is_active:
        errors["membership"] = _("%(name)s has already left this dealer.") % {
            "name": _display(membership.user)
        }
    if errors or leaving_on is None:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        departure = Departure.objects.filter(membership=locked, processed_at__isnull=True).first()
        if departure is None:
            departure = Departure(dealer_id=locked.dealer_id, membership=locked)
        departure.leaving_on = leaving_on
        departure.reason = reason
        departure.created_by = actor
        departure.save()
        locked.leaving_on = leaving_on
        locked.save(update_fields=["leaving_on"])
        record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            dealer=locked.dealer_id,
            obj=departure,
            request=request,
            detail={"user": locked.user_id, "leaving_on": leaving_on.isoformat(), "reason": reason},
        )
        if leaving_on <= dealer_today(locked.dealer, now):
            process_departure(departure=departure, actor=actor, request=request, now=now)
    return departure


def cancel_departure(
    *, departure: Departure, actor: Any, request: HttpRequest | None = None
) -> None:
    if departure.processed_at is not None:
        raise ValidationError(_("This departure has already been carried out."))
    with transaction.atomic():
        Membership.objects.filter(pk=departure.membership_id).update(leaving_on=None)
        record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            dealer=departure.dealer_id,
            obj=departure,
            request=request,
            detail={"cancelled": True, "user": departure.membership.user_id},
        )
        departure.delete()


def process_departure(
    *,
    departure: Departure,
    actor: Any = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Deactivate the membership (out of every routing rotation); the account too when it was
    their last active membership, ending all their sessions and API tokens. Idempotent: returns
    False when already done."""
    from dms.security.services import end_all_sessions

    now = now or timezone.now()
    with transaction.atomic():
        row = Departure.objects.select_for_update().get(pk=departure.pk)
        if row.processed_at is not None:
            return False
        membership = (
            Membership.objects.select_for_update().select_related("user").get(pk=row.membership_id)
        )
        membership.is_active = False
        membership.is_present = False
        membership.save(update_fields=["is_active", "is_present"])
        membership_changed.send(sender=Membership, membership=membership)
        row.processed_at = now
        row.save(update_fields=["processed_at"])
        user = membership.user
        others = Membership.objects.filter(user=user, is_active=True).exclude(pk=membership.pk)
        account_closed = not user.hq_role and not others.exists()
        if account_closed and user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            dealer=membership.dealer_id,
            obj=row,
            request=request,
            detail={"departed": user.pk, "account_closed": account_closed},
        )
        if account_closed:
            end_all_sessions(user=user, actor=actor, request=request, reason="departure")
    departure.processed_at = now
    return True


def process_due_departures(*, dealer_id: int, now: dt.datetime | None = None) -> int:
    """Every departure of the dealer due today or earlier and not yet processed (idempotent)."""
    dealer = Dealer.objects.get(pk=dealer_id)
    today = dealer_today(dealer, now)
    done = 0
    due = Departure.objects.filter(processed_at__isnull=True, leaving_on__lte=today)
    for departure in due.order_by("leaving_on", "pk"):
        done += process_departure(departure=departure, now=now)
    return done


# --- planning a batch -----------------------------------------------------------------------------


Period = tuple[dt.date, dt.date]


def _names(users: Iterable[Any]) -> str:
    return ", ".join(sorted(_display(u) for u in users))


def _receivers(
    *,
    dealer: Dealer,
    user_ids: Iterable[int],
    from_user_id: int,
    period: Period | None = None,
    field: str = "targets",
) -> dict[int, Any]:
    """The given users, checked: active colleagues of THIS dealer in a sales role. Anyone else
    (another dealer, even of the same group; inactive; not in sales) is refused by name.

    With a `period` (a handover: today; a cover: its days) they must also be available: not
    marked as leaving, not absent for the whole period. Without one (a cover's own batches,
    checked when the cover was planned) that is not asked again."""
    wanted = set(user_ids)
    if not wanted:
        raise ValidationError({field: _("Choose at least one consultant to receive customers.")})
    if from_user_id in wanted:
        raise ValidationError(
            {field: _("Customers cannot be handed to the person they are taken from.")}
        )
    members = {
        m.user_id: m
        for m in Membership.objects.filter(
            dealer=dealer,
            user_id__in=wanted,
            is_active=True,
            user__is_active=True,
            role__in=SALES_ROLES,
        ).select_related("user")
    }
    refused = wanted - set(members)
    if refused:
        names = _names(get_user_model().objects.filter(pk__in=refused)) or ", ".join(
            str(i) for i in sorted(refused)
        )
        raise ValidationError(
            {
                field: _(
                    "%(names)s cannot receive customers: only active sales staff of %(dealer)s "
                    "can (a handover never crosses dealers, not even within a dealer group)."
                )
                % {"names": names, "dealer": dealer.name}
            }
        )
    if period is not None:
        leaving = [m.user for m in members.values() if m.leaving_on is not None]
        if leaving:
            raise ValidationError(
                {
                    field: ngettext(
                        "%(names)s is marked as leaving and cannot receive customers.",
                        "%(names)s are marked as leaving and cannot receive customers.",
                        len(leaving),
                    )
                    % {"names": _names(leaving)}
                }
            )
        away = absent_throughout(
            dealer=dealer,
            membership_ids=[m.pk for m in members.values()],
            starts_on=period[0],
            ends_on=period[1],
        )
        if away:
            absent = [m.user for m in members.values() if m.pk in away]
            if period[0] == period[1]:
                text = ngettext(
                    "%(names)s is absent on %(day)s and cannot receive customers.",
                    "%(names)s are absent on %(day)s and cannot receive customers.",
                    len(absent),
                )
            else:
                text = ngettext(
                    "%(names)s is absent for the whole period (%(day)s to %(last)s) and "
                    "cannot receive customers.",
                    "%(names)s are absent for the whole period (%(day)s to %(last)s) and "
                    "cannot receive customers.",
                    len(absent),
                )
            raise ValidationError(
                {
                    field: text
                    % {
                        "names": _names(absent),
                        "day": formats.date_format(period[0], "SHORT_DATE_FORMAT"),
                        "last": formats.date_format(period[1], "SHORT_DATE_FORMAT"),
                    }
                }
            )
    return {uid: m.user for uid, m in members.items()}


def _today(dealer: Dealer, now: dt.datetime | None = None) -> Period:
    """A handover's period: it takes effect on the dealer's today."""
    today = dealer_today(dealer, now)
    return (today, today)


def _balance(
    customers: Sequence[tuple[int, str, int]], targets: Sequence[int], loads: dict[int, int]
) -> dict[int, int]:
    """The "Balance open-lead load" option: the WHOLE book is shared out evenly (each receiver gets the same
    number of customers, give or take one; customers without an open lead count like any
    other), and within those shares the customers with the most open leads go first, each to
    whoever then carries the fewest open leads (what they held plus what this handover gave
    them). The one-more shares go to the least loaded receivers. Ties: fewer customers received,
    then the order of `targets`."""
    base, extra = divmod(len(customers), len(targets))
    rank = {t: i for i, t in enumerate(targets)}
    by_load = sorted(targets, key=lambda t: (loads.get(t, 0), rank[t]))
    share = {t: base + (1 if i < extra else 0) for i, t in enumerate(by_load)}
    load = {t: loads.get(t, 0) for t in targets}
    got = dict.fromkeys(targets, 0)
    result: dict[int, int] = {}
    for cid, _grade, n in sorted(customers, key=lambda c: (-c[2], c[0])):
        target = min(
            (t for t in targets if got[t] < share[t]), key=lambda t: (load[t], got[t], rank[t])
        )
        result[cid] = target
        load[target] += n
        got[target] += 1
    return result


def _assign(
    customers: Sequence[tuple[int, str, int]],
    targets: Sequence[int],
    strategy: str,
    loads: dict[int, int],
) -> dict[int, int]:
    """customer id -> receiver id. `customers` are (id, grade, open leads).

    Round robin: in customer order, one each in turn (even shares, give or take one). Balance:
    see `_balance`. Manual: everything to the first receiver (adjusted in the preview)."""
    result: dict[int, int] = {}
    if strategy == Batch.Strategy.BALANCE:
        return _balance(customers, targets, loads)
    if strategy == Batch.Strategy.MANUAL:
        for cid, _grade, _n in customers:
            result[cid] = targets[0]
    else:
        for i, (cid, _grade, _n) in enumerate(sorted(customers)):
            result[cid] = targets[i % len(targets)]
    return result


def plan_batch(
    *,
    dealer: Dealer,
    from_user: Any,
    actor: Any,
    targets: Sequence[Any],
    strategy: str = Batch.Strategy.ROUND_ROBIN,
    grade_rules: dict[str, Any] | None = None,
    kind: str = Batch.Kind.HANDOVER,
    customer_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> ReassignmentBatch:
    """A draft batch (the preview): which colleague gets which customer. Changes nothing else.

    `grade_rules` maps a grade (H/A/B/C, the customer's best open-lead grade) to one colleague:
    those customers go to them; the rest are distributed by `strategy` among `targets` (see
    `_assign`). A handover's receivers must be available today (not leaving, not absent); a
    cover's were checked against its dates when it was planned."""
    from leads.models import Customer, Lead

    if strategy not in Batch.Strategy.values:
        raise ValidationError({"strategy": _("Unknown distribution: %(s)s") % {"s": strategy}})
    if kind not in Batch.Kind.values:
        raise ValidationError(_("Unknown batch kind."))
    grade_rules = {g: u for g, u in (grade_rules or {}).items() if u is not None}
    bad = [g for g in grade_rules if g not in GRADE_ORDER or not g]
    if bad:
        raise ValidationError({"grade_rules": _("Unknown grade: %(g)s") % {"g": ", ".join(bad)}})
    target_ids = [getattr(t, "pk", t) for t in targets]
    rule_ids = [getattr(u, "pk", u) for u in grade_rules.values()]
    if not target_ids and not rule_ids:
        raise ValidationError(
            {"targets": _("Choose at least one consultant to receive customers.")}
        )
    _receivers(
        dealer=dealer,
        user_ids=[*target_ids, *rule_ids],
        from_user_id=from_user.pk,
        period=_today(dealer, now) if kind == Batch.Kind.HANDOVER else None,
    )
    if not Membership.objects.filter(dealer=dealer, user=from_user).exists():
        raise ValidationError(
            _("%(name)s does not work at this dealer.") % {"name": _display(from_user)}
        )

    ids_qs = book_customer_ids(dealer=dealer, user_id=from_user.pk)
    if customer_ids is not None:
        ids_qs = ids_qs.filter(pk__in=list(customer_ids))
    ids = list(ids_qs)
    if not ids:
        raise ValidationError(
            _("%(name)s holds no customers here: nothing to hand over.")
            % {"name": _display(from_user)}
        )
    owners = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "owner_id"))
    open_leads: dict[int, list[str]] = defaultdict(list)
    for cid, grade in Lead.objects.filter(
        customer_id__in=ids, consultant=from_user, is_open=True
    ).values_list("customer_id", "grade"):
        open_leads[cid].append(grade)

    def best(grades: list[str]) -> str:
        return min(grades, key=GRADE_ORDER.index) if grades else ""

    rows = [(cid, best(open_leads[cid]), len(open_leads[cid])) for cid in ids]
    by_rule = {cid: grade_rules[g] for cid, g, _n in rows if g in grade_rules}
    rest = [r for r in rows if r[0] not in by_rule]
    if rest and not target_ids:
        raise ValidationError(
            {"targets": _("Some customers match no rule: choose consultants for the rest.")}
        )
    loads = dict(
        Lead.objects.filter(consultant_id__in=target_ids, is_open=True)
        .values("consultant")
        .annotate(n=Count("id"))
        .values_list("consultant", "n")
    )
    for cid, _g, n in rows:  # rule assignments count towards the receivers' load
        if cid in by_rule:
            uid = getattr(by_rule[cid], "pk", by_rule[cid])
            loads[uid] = loads.get(uid, 0) + n
    assignment = _assign(rest, target_ids, strategy, loads) if rest else {}
    assignment.update({cid: getattr(u, "pk", u) for cid, u in by_rule.items()})
    info = {cid: (g, n) for cid, g, n in rows}
    with transaction.atomic():
        batch = ReassignmentBatch.objects.create(
            dealer=dealer,
            kind=kind,
            strategy=strategy,
            from_user=from_user,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        ReassignmentItem.objects.bulk_create(
            [
                ReassignmentItem(
                    dealer=dealer,
                    batch=batch,
                    customer_id=cid,
                    to_user_id=uid,
                    grade=info[cid][0],
                    open_leads=info[cid][1],
                    was_owner=owners.get(cid) == from_user.pk,
                )
                for cid, uid in sorted(assignment.items())
            ],
            batch_size=2000,
        )
    return batch


def _require_draft(batch: ReassignmentBatch) -> None:
    if batch.status != Batch.Status.DRAFT:
        raise ValidationError(
            _("Batch #%(id)s is %(status)s and can no longer be changed.")
            % {"id": batch.pk, "status": batch.get_status_display()}
        )


def reassign_items(
    *,
    batch: ReassignmentBatch,
    to_user: Any,
    actor: Any,
    item_ids: Iterable[int] | None = None,
    grade: str | None = None,
) -> int:
    """Manual choice in the preview: the given items (or every item of a grade) go to
    `to_user`. Returns how many items changed."""
    if to_user is None:
        raise ValidationError({"to_user": _("Choose who gets these customers.")})
    _receivers(
        dealer=batch.dealer,
        user_ids=[to_user.pk],
        from_user_id=batch.from_user_id,
        period=_today(batch.dealer) if batch.kind == Batch.Kind.HANDOVER else None,
    )
    with transaction.atomic():
        locked = ReassignmentBatch.objects.select_for_update().get(pk=batch.pk)
        _require_draft(locked)
        items = ReassignmentItem.objects.filter(batch=locked)
        if item_ids is not None:
            wanted = set(item_ids)
            items = items.filter(pk__in=wanted)
            # An id outside this batch (another batch's, another dealer's) is bad input, not
            # "0 customers changed hands"; the same words whether or not such a row exists.
            if items.count() != len(wanted):
                raise ValidationError({"item": _("This customer is not part of this handover.")})
        if grade is not None:
            if grade not in GRADE_ORDER:
                raise ValidationError({"grade": _("Unknown grade: %(g)s") % {"g": grade}})
            items = items.filter(grade=grade)
        if item_ids is None and grade is None:
            raise ValidationError(_("Choose the customers to move (one, or a grade)."))
        changed = items.exclude(to_user=to_user).update(to_user=to_user)
        if changed:
            ReassignmentBatch.objects.filter(pk=locked.pk).update(strategy=Batch.Strategy.MANUAL)
    return changed


def discard_batch(*, batch: ReassignmentBatch, actor: Any) -> None:
    with transaction.atomic():
        locked = ReassignmentBatch.objects.select_for_update().get(pk=batch.pk)
        _require_draft(locked)
        locked.status = Batch.Status.DISCARDED
        locked.save(update_fields=["status"])


# --- applying a batch -----------------------------------------------------------------------------


def apply_batch(
    *,
    batch: ReassignmentBatch,
    actor: Any,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> ReassignmentBatch:
    """Apply a draft batch: one transaction, all or nothing. Applying an applied batch again
    changes nothing and returns it."""
    from leads.models import Customer, FollowUp, Lead, Notification, OwnershipClaim, TimelineEvent
    from sales.models import Order, TestDrive

    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ReassignmentBatch.objects.select_for_update(of=("self",))
            .select_related("from_user", "dealer")
            .get(pk=batch.pk)
        )
        if locked.status == Batch.Status.APPLIED:
            return locked
        _require_draft(locked)
        dealer = locked.dealer
        from_user = locked.from_user
        items = ReassignmentItem.objects.filter(batch=locked)
        target_ids = sorted(set(items.values_list("to_user_id", flat=True)))
        if not target_ids:
            raise ValidationError(_("This batch moves nobody's customers: nothing to apply."))
        receivers = _receivers(
            dealer=dealer,
            user_ids=target_ids,
            from_user_id=from_user.pk,
            period=_today(dealer, now) if locked.kind == Batch.Kind.HANDOVER else None,
        )
        # Lock the cards (in id order: no deadlock between two appliers), then check nobody
        # moved them since the preview. A conflicting batch applied meanwhile is caught here.
        cards = dict(
            Customer.objects.filter(pk__in=items.values("customer_id"))
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "owner_id")
        )
        moved_away = [
            cid
            for cid, was_owner in items.values_list("customer_id", "was_owner")
            if was_owner and cards.get(cid) != from_user.pk
        ]
        if moved_away:
            raise ValidationError(
                ngettext(
                    "%(n)d customer of this batch is no longer held by %(name)s (another "
                    "handover was applied meanwhile). Nothing was changed: make a new preview.",
                    "%(n)d customers of this batch are no longer held by %(name)s (another "
                    "handover was applied meanwhile). Nothing was changed: make a new preview.",
                    len(moved_away),
                )
                % {"n": len(moved_away), "name": _display(from_user)}
            )

        counts: dict[str, int] = defaultdict(int)
        per_target: dict[int, int] = dict(
            items.values("to_user_id")
            .annotate(n=Count("id"))
            .values_list("to_user_id", "n")
            .order_by()
        )
        # Per receiver ONE set-based UPDATE per big table, filtered by the batch's customers
        # (a sub-select of its items), never per-row saves.
        for uid in target_ids:
            mine = items.filter(to_user_id=uid).values("customer_id")
            counts["customers"] += Customer.objects.filter(pk__in=mine, owner=from_user).update(
                owner_id=uid, owner_since=now, updated_at=now
            )
            counts["leads"] += Lead.objects.filter(
                customer_id__in=mine, consultant=from_user, is_open=True
            ).update(consultant_id=uid, assigned_at=now)
            counts["follow_ups"] += FollowUp.objects.filter(
                customer_id__in=mine, owner=from_user, done_at__isnull=True
            ).update(owner_id=uid)
        # Small tables (a few rows per book): one UPDATE each for all receivers, the new owner
        # read from the batch item of the row's customer.
        new_owner = Subquery(
            items.filter(
                dealer_id=OuterRef("dealer_id"), customer_id=OuterRef("customer_id")
            ).values("to_user_id")[:1]
        )
        batch_customers = items.values("customer_id")
        counts["test_drives"] = TestDrive.objects.filter(
            customer_id__in=batch_customers,
            consultant=from_user,
            status=TestDrive.Status.BOOKED,
            starts_at__gte=now,
        ).update(consultant_id=new_owner)
        counts["orders"] = Order.objects.filter(
            customer_id__in=batch_customers, consultant=from_user, status=Order.Status.OPEN
        ).update(consultant_id=new_owner)
        counts["claims"] = OwnershipClaim.objects.filter(
            customer_id__in=batch_customers,
            current_owner=from_user,
            status=OwnershipClaim.Status.PENDING,
        ).update(current_owner_id=new_owner)

        from_name = _display(from_user)
        names = {uid: _display(u) for uid, u in receivers.items()}
        # Each line also as message and parameters, read in the reader's language (TimelineEvent.text).
        lines = {
            uid: Said(
                gettext_noop("%(kind)s: from %(old)s to %(new)s"),
                {"kind": Choice("handover_kind", locked.kind), "old": from_name, "new": names[uid]},
            )
            for uid in target_ids
        }
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        # One timeline line per customer, written set-based: per receiver one
        # INSERT ... SELECT over the batch's items (no Python object per row; RLS checks every
        # row's dealer as for any insert).
        timeline = TimelineEvent._meta.db_table
        item_table = ReassignmentItem._meta.db_table
        with connection.cursor() as cursor:
            for uid in target_ids:
                cursor.execute(
                    f'INSERT INTO "{timeline}" (dealer_id, customer_id, kind, summary, message,'  # noqa: S608
                    " params, at, actor_id, ref_type, ref_id)"
                    " SELECT i.dealer_id, i.customer_id, %s, %s, %s, %s::jsonb, %s, %s, %s, i.batch_id"
                    f' FROM "{item_table}" i'
                    " WHERE i.dealer_id = %s AND i.batch_id = %s AND i.to_user_id = %s"
                    " ORDER BY i.id",
                    [
                        "handover",
                        str(lines[uid])[:300],
                        lines[uid].message,
                        json.dumps(lines[uid].row_params()),
                        now,
                        actor_id,
                        ReassignmentBatch._meta.label,
                        dealer.pk,
                        locked.pk,
                        uid,
                    ],
                )
        my_day = reverse("leads:my_day")
        languages = languages_of(per_target)
        notifications = []
        for uid, n in per_target.items():
            with speaking(languages.get(uid, "")):  # each receiver reads it in their language
                text = ngettext(
                    "%(n)d customer of %(old)s is now yours (%(kind)s).",
                    "%(n)d customers of %(old)s are now yours (%(kind)s).",
                    n,
                ) % {
                    "n": n,
                    "old": from_name,
                    "kind": str(Batch.Kind(locked.kind).label),
                }
            notifications.append(
                Notification(
                    dealer=dealer, user_id=uid, kind="handover", text=text[:300], url=my_day
                )
            )
        Notification.objects.bulk_create(notifications)
        total = sum(per_target.values())
        locked.status = Batch.Status.APPLIED
        locked.applied_at = now
        locked.applied_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.counts = {"total": total, **counts}
        locked.save(update_fields=["status", "applied_at", "applied_by", "counts"])
        record(
            action=AuditAction.BULK_CHANGE,
            actor=actor,
            dealer=dealer,
            obj=locked,
            count=total,
            request=request,
            detail={
                "batch": locked.pk,
                "kind": locked.kind,
                "from_user": from_user.pk,
                "to_users": {str(k): v for k, v in per_target.items()},
                **counts,
            },
        )
    return locked


# --- temporary cover ------------------------------------------------------------------------------


def create_cover(
    *,
    absent: Membership,
    covering: Membership,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    actor: Any,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> CoverPeriod:
    """Plan a cover; when it starts today or earlier the book moves at once."""
    errors: dict[str, Any] = {}
    if starts_on is None:
        errors["starts_on"] = _("Give the first day of the cover.")
    if ends_on is None:
        errors["ends_on"] = _("Give the last day of the cover.")
    if absent.pk == covering.pk:
        errors["covering"] = _("Someone else must cover: not the person on leave.")
    elif absent.dealer_id != covering.dealer_id:
        errors["covering"] = _("Cover stays within one dealer.")
    if errors or starts_on is None or ends_on is None:
        raise ValidationError(errors)
    today = dealer_today(absent.dealer, now)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The cover must end on or after its first day.")})
    if ends_on < today:
        raise ValidationError({"ends_on": _("The cover would already be over.")})
    if not absent.is_active:
        raise ValidationError({"absent": _("This person has left the dealer.")})
    _receivers(
        dealer=absent.dealer,
        user_ids=[covering.user_id],
        from_user_id=absent.user_id,
        period=(starts_on, ends_on),
        field="covering",
    )
    overlapping = CoverPeriod.objects.filter(
        absent=absent,
        status__in=[CoverPeriod.Status.PLANNED, CoverPeriod.Status.ACTIVE],
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if overlapping.exists():
        raise ValidationError(_("A cover for this person already overlaps these dates."))
    with transaction.atomic():
        cover = CoverPeriod.objects.create(
            dealer_id=absent.dealer_id,
            absent=absent,
            covering=covering,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record(
            action=AuditAction.BULK_CHANGE,
            actor=actor,
            dealer=absent.dealer_id,
            obj=cover,
            count=0,
            request=request,
            detail={"cover": cover.pk, "absent": absent.user_id, "covering": covering.user_id},
        )
        if starts_on <= today:
            start_cover(cover=cover, actor=actor, request=request, now=now)
    return cover


def _lock_cover(cover: CoverPeriod) -> CoverPeriod:
    """The cover's row, locked until the transaction ends (starting and ending a cover must not
    run twice at once), with the two people and the dealer."""
    return (
        CoverPeriod.objects.select_for_update()
        .select_related("absent__user", "covering__user", "dealer")
        .get(pk=cover.pk)
    )


def start_cover(
    *,
    cover: CoverPeriod,
    actor: Any = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> bool:
    with transaction.atomic():
        row = _lock_cover(cover)
        if row.status != CoverPeriod.Status.PLANNED:
            return False
        try:
            batch = plan_batch(
                dealer=row.dealer,
                from_user=row.absent.user,
                actor=actor,
                targets=[row.covering.user],
                strategy=Batch.Strategy.MANUAL,
                kind=Batch.Kind.COVER,
            )
        except ValidationError:
            batch = None  # nothing to hand over (empty book): the cover still runs
        if batch is not None:
            apply_batch(batch=batch, actor=actor, request=request, now=now)
        row.batch = batch
        row.status = CoverPeriod.Status.ACTIVE
        row.save(update_fields=["batch", "status"])
    cover.status, cover.batch = row.status, row.batch
    return True


def end_cover(
    *,
    cover: CoverPeriod,
    actor: Any = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Give back what the cover batch moved and the colleague still holds open. Deals closed in
    between keep their credit (credited_to is never touched; closed leads do not move)."""
    from leads.models import Customer

    with transaction.atomic():
        row = _lock_cover(cover)
        if row.status == CoverPeriod.Status.PLANNED:
            row.status = CoverPeriod.Status.CANCELLED
            row.save(update_fields=["status"])
            return True
        if row.status != CoverPeriod.Status.ACTIVE:
            return False
        back = None
        if row.batch_id is not None:
            moved = ReassignmentItem.objects.filter(batch_id=row.batch_id).values("customer_id")
            still_held = book_customer_ids(dealer=row.dealer, user_id=row.covering.user_id).filter(
                pk__in=moved
            )
            ids = list(Customer.objects.filter(pk__in=still_held).values_list("pk", flat=True))
            if ids and row.absent.is_active and row.absent.user.is_active:
                back = plan_batch(
                    dealer=row.dealer,
                    from_user=row.covering.user,
                    actor=actor,
                    targets=[row.absent.user],
                    strategy=Batch.Strategy.MANUAL,
                    kind=Batch.Kind.GIVE_BACK,
                    customer_ids=ids,
                )
                apply_batch(batch=back, actor=actor, request=request, now=now)
        row.return_batch = back
        row.status = CoverPeriod.Status.ENDED
        row.save(update_fields=["return_batch", "status"])
    cover.status, cover.return_batch = row.status, row.return_batch
    return True


def process_covers(*, dealer_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Start covers whose first day has come, give back those whose last day has passed.
    Idempotent (status moves planned → active → ended once)."""
    dealer = Dealer.objects.get(pk=dealer_id)
    today = dealer_today(dealer, now)
    started = ended = 0
    for cover in CoverPeriod.objects.filter(
        status=CoverPeriod.Status.PLANNED, starts_on__lte=today, ends_on__gte=today
    ).order_by("pk"):
        started += start_cover(cover=cover, now=now)
    for cover in CoverPeriod.objects.filter(
        Q(status=CoverPeriod.Status.ACTIVE) | Q(status=CoverPeriod.Status.PLANNED),
        ends_on__lt=today,
    ).order_by("pk"):
        ended += end_cover(cover=cover, now=now)
    return {"started": started, "ended": ended}
