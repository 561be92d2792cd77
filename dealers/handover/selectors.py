"""Reads for departures, reassignment and cover. Tenant reads run inside the dealer's scope (the
request's or the task's); membership reads are limited to the given dealer explicitly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from dealers.clock import dealer_today
from dealers.models import (
    CoverPeriod,
    Dealer,
    Departure,
    Membership,
    ReassignmentBatch,
    ReassignmentItem,
    StaffAbsence,
)
from dealers.roles import DEALER_ROLE_CAPS, Cap

GRADE_ORDER = ("H", "A", "B", "C", "O", "")

# Roles that own customers and leads (may receive a book).
SALES_ROLES = tuple(role for role, caps in DEALER_ROLE_CAPS.items() if Cap.SALES_OWN in caps)


def staff_membership(*, dealer: Dealer, pk: int) -> Membership:
    """A membership of this dealer (raises Membership.DoesNotExist for any other: 404)."""
    return Membership.objects.select_related("user", "dealer").get(dealer=dealer, pk=pk)


def absent_throughout(
    *, dealer: Dealer, membership_ids: Iterable[int], starts_on: dt.date, ends_on: dt.date
) -> set[int]:
    """Those of `membership_ids` absent on every day from `starts_on` to `ends_on`: their
    recorded absences together cover the whole period, or they are marked not present (which
    has no end date). One query for the absences; call inside the dealer's scope."""
    ids = set(membership_ids)
    if not ids:
        return set()
    absent = set(
        Membership.objects.filter(dealer=dealer, pk__in=ids, is_present=False).values_list(
            "pk", flat=True
        )
    )
    spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for member_id, first, last in (
        StaffAbsence.objects.filter(
            dealer=dealer,
            membership_id__in=ids - absent,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .order_by("membership_id", "starts_on")
        .values_list("membership_id", "starts_on", "ends_on")
    ):
        spans.setdefault(member_id, []).append((first, last))
    for member_id, periods in spans.items():
        covered_to = starts_on - dt.timedelta(days=1)  # every day up to here is covered
        for first, last in periods:  # in order of their first day
            if first > covered_to + dt.timedelta(days=1):
                break  # a day without an absence
            covered_to = max(covered_to, last)
        if covered_to >= ends_on:
            absent.add(member_id)
    return absent


def available_receivers(
    *,
    dealer: Dealer,
    user_ids: Iterable[int] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> QuerySet[Membership]:
    """Who may receive customers at `dealer`: active sales staff (membership and account
    active), not marked as leaving, and, when a period is given, not absent for the whole of it
    (a handover takes effect today: its period is today; a cover: its days). Limited to
    `user_ids` when given. Call inside the dealer's scope (the absences are tenant rows)."""
    qs = Membership.objects.filter(
        dealer=dealer,
        is_active=True,
        user__is_active=True,
        role__in=SALES_ROLES,
        leaving_on__isnull=True,
    )
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    if period is not None:
        candidates = list(qs.values_list("pk", flat=True))
        away = absent_throughout(
            dealer=dealer, membership_ids=candidates, starts_on=period[0], ends_on=period[1]
        )
        qs = qs.exclude(pk__in=away)
    return qs


def receiving_memberships(
    *, dealer: Dealer, exclude_user_id: int | None = None, on: dt.date | None = None
) -> list[Any]:
    """The colleagues a handover may be given to, in name order, each with `.open_leads` (their
    current open-lead load): `available_receivers` on `on` (default: the dealer's today).
    A fixed number of queries, whatever the number of staff."""
    from leads.models import Lead

    day = on or dealer_today(dealer)
    qs = available_receivers(dealer=dealer, period=(day, day))
    if exclude_user_id is not None:
        qs = qs.exclude(user_id=exclude_user_id)
    members = list(
        qs.select_related("user").order_by("user__last_name", "user__first_name", "user__username")
    )
    loads = dict(
        Lead.objects.filter(
            dealer=dealer, is_open=True, consultant_id__in=[m.user_id for m in members]
        )
        .values("consultant")
        .annotate(n=Count("id"))
        .values_list("consultant", "n")
    )
    for member in members:
        member.open_leads = loads.get(member.user_id, 0)  # type: ignore[attr-defined]
    return members


def cover_candidates(*, dealer: Dealer) -> QuerySet[Membership]:
    """Who may be chosen to cover: available receivers (their absences are checked against the
    cover's dates when it is saved, as those are not known before)."""
    return (
        available_receivers(dealer=dealer)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def book_customer_ids(*, dealer: Dealer, user_id: int) -> QuerySet[Any]:
    """Ids of the customers whose card, open lead or open follow-up `user_id` holds."""
    from leads.models import Customer

    return (
        Customer.objects.filter(dealer=dealer, merged_into__isnull=True)
        .filter(
            Q(owner_id=user_id)
            | Q(leads__consultant_id=user_id, leads__is_open=True)
            | Q(follow_ups__owner_id=user_id, follow_ups__done_at__isnull=True)
        )
        .values_list("id", flat=True)
        .distinct()
    )


@dataclass
class Book:
    """Everything one person holds at a dealer."""

    customers: int = 0
    open_leads: int = 0
    leads_by_stage: list[tuple[str, int]] = field(default_factory=list)
    leads_by_grade: list[tuple[str, int]] = field(default_factory=list)
    open_follow_ups: int = 0
    overdue_follow_ups: int = 0
    future_test_drives: int = 0
    pending_quotes: int = 0
    open_orders: int = 0
    pending_lost_requests: int = 0
    pending_discounts: int = 0
    pending_claims: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.customers or self.open_leads or self.open_follow_ups)


def book_of(*, dealer: Dealer, user_id: int) -> Book:
    """Counts of what `user_id` holds at `dealer` (a fixed number of queries)."""
    from leads.models import Customer, FollowUp, Lead, OwnershipClaim, Stage
    from sales.models import Order, Quote, TestDrive

    now = timezone.now()
    book = Book()
    book.customers = Customer.objects.filter(
        dealer=dealer, owner_id=user_id, merged_into__isnull=True
    ).count()
    stage_labels = dict(Stage.choices)
    by_stage: dict[str, int] = {}
    by_grade: dict[str, int] = {}
    rows = (
        Lead.objects.filter(dealer=dealer, consultant_id=user_id, is_open=True)
        .values_list("stage", "grade")
        .annotate(n=Count("id"))
    )
    for stage, grade, n in rows:
        by_stage[stage] = by_stage.get(stage, 0) + n
        by_grade[grade] = by_grade.get(grade, 0) + n
        book.open_leads += n
    book.leads_by_stage = [(str(stage_labels.get(s, s)), n) for s, n in by_stage.items() if n]
    book.leads_by_grade = [
        (g or "–", by_grade[g]) for g in sorted(by_grade, key=_grade_rank) if by_grade[g]
    ]
    follow_ups = FollowUp.objects.filter(dealer=dealer, owner_id=user_id, done_at__isnull=True)
    counts = follow_ups.aggregate(all=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    book.open_follow_ups = counts["all"]
    book.overdue_follow_ups = counts["overdue"]
    book.future_test_drives = TestDrive.objects.filter(
        dealer=dealer,
        consultant_id=user_id,
        status=TestDrive.Status.BOOKED,
        starts_at__gte=now,
    ).count()
    quotes = Quote.objects.filter(
        dealer=dealer,
        status__in=[Quote.Status.DRAFT, Quote.Status.SENT],
    ).filter(Q(lead__consultant_id=user_id, lead__is_open=True) | Q(created_by_id=user_id))
    quote_counts = quotes.aggregate(
        all=Count("id"),
        discounts=Count("id", filter=Q(discount_status=Quote.DiscountStatus.PENDING)),
    )
    book.pending_quotes = quote_counts["all"]
    book.pending_discounts = quote_counts["discounts"]
    book.open_orders = Order.objects.filter(
        dealer=dealer, consultant_id=user_id, status=Order.Status.OPEN
    ).count()
    book.pending_lost_requests = Lead.objects.filter(
        dealer=dealer, consultant_id=user_id, is_open=True, lost_requested_at__isnull=False
    ).count()
    book.pending_claims = (
        OwnershipClaim.objects.filter(dealer=dealer, status=OwnershipClaim.Status.PENDING)
        .filter(Q(claimant_id=user_id) | Q(current_owner_id=user_id))
        .count()
    )
    return book


def still_holding(*, dealer: Dealer, user_ids: Iterable[int]) -> dict[int, Book]:
    """For each of `user_ids` who still holds something at `dealer` (customer cards, open leads
    or open follow-ups): those counts. People whose book is empty are left out. Three grouped
    queries; call inside the dealer's scope."""
    from leads.models import Customer, FollowUp, Lead

    ids = list(user_ids)
    books: dict[int, Book] = {}
    if not ids:
        return books

    def per_person(rows: Any, person: str) -> Iterable[tuple[int, int]]:
        return rows.values(person).annotate(n=Count("id")).values_list(person, "n").order_by()

    customers = Customer.objects.filter(dealer=dealer, owner_id__in=ids, merged_into__isnull=True)
    for owner, n in per_person(customers, "owner"):
        books.setdefault(owner, Book()).customers = n
    leads = Lead.objects.filter(dealer=dealer, consultant_id__in=ids, is_open=True)
    for consultant, n in per_person(leads, "consultant"):
        books.setdefault(consultant, Book()).open_leads = n
    follow_ups = FollowUp.objects.filter(dealer=dealer, owner_id__in=ids, done_at__isnull=True)
    for owner, n in per_person(follow_ups, "owner"):
        books.setdefault(owner, Book()).open_follow_ups = n
    return books


def _grade_rank(grade: str) -> int:
    return GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER)


def batches_in_scope() -> QuerySet[ReassignmentBatch]:
    return ReassignmentBatch.objects.select_related("from_user", "created_by", "applied_by")


def departures_in_scope() -> QuerySet[Departure]:
    return Departure.objects.select_related("membership__user", "created_by")


def covers_in_scope() -> QuerySet[CoverPeriod]:
    return CoverPeriod.objects.select_related("absent__user", "covering__user")


@dataclass
class TargetSummary:
    user_id: int
    name: str
    customers: int
    open_leads: int


def batch_summary(*, batch: ReassignmentBatch) -> list[TargetSummary]:
    """Who gets how many customers and open leads (one query + one for the names)."""
    from django.contrib.auth import get_user_model

    rows = list(
        ReassignmentItem.objects.filter(batch=batch)
        .values("to_user")
        .annotate(customers=Count("id"), leads=Sum("open_leads"))
        .order_by("to_user")
    )
    users = get_user_model().objects.in_bulk([r["to_user"] for r in rows])
    return [
        TargetSummary(
            user_id=r["to_user"],
            name=_name(users.get(r["to_user"])),
            customers=r["customers"],
            open_leads=r["leads"] or 0,
        )
        for r in rows
    ]


def batch_items(
    *, batch: ReassignmentBatch, grade: str | None = None
) -> QuerySet[ReassignmentItem]:
    qs = ReassignmentItem.objects.filter(batch=batch).select_related("customer", "to_user")
    if grade is not None:
        qs = qs.filter(grade=grade)
    return qs.order_by("id")


def _name(user: Any) -> str:
    if user is None:
        return "?"
    return user.get_full_name() or user.get_username()
