"""My day: a consultant's plan for today and tomorrow, read live from the rows the nightly task
and the day's work keep up to date. Overdue first, then due follow-ups, test drives,
deliveries and pool leads to claim. A fixed, small number of queries whatever the dealer's size:
each follow-up section shows its first PAGE_SIZE rows (the page asks for more through htmx) and a
count capped at COUNT_CAP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    F,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils import timezone

from dealers.clock import dealer_zone
from dealers.models import Dealer
from leads.models import FollowUp, Lead

ROW_LIMIT = 100  # test drives and deliveries (each)
PAGE_SIZE = 20  # follow-ups per section; "show more" brings the next ones
MAX_ROWS = 200  # follow-ups per section on one page without htmx (?more=...&shown=...)
COUNT_CAP = 500  # section counts above this show as "500+"
POOL_LIMIT = 10


@dataclass
class Section:
    """One follow-up section of the day: the rows shown, how many there are (at most
    COUNT_CAP + 1) and whether a "show more" is needed."""

    name: str
    rows: list[FollowUp]
    count: int  # -1: not counted (the "show more" rows of an htmx request)
    more: bool
    offset: int = 0

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_label(self) -> str:
        """ "12", or "500+" past the cap."""
        return f"{COUNT_CAP}+" if self.capped else str(max(self.count, 0))

    @property
    def compact(self) -> bool:
        """Tomorrow's follow-ups are listed without the done/move buttons."""
        return self.name == "due_tomorrow"

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.rows)


@dataclass
class MyDay:
    today: dt.date
    tomorrow: dt.date
    now: dt.datetime
    overdue: list[FollowUp] = field(default_factory=list)
    due_today: list[FollowUp] = field(default_factory=list)
    due_tomorrow: list[FollowUp] = field(default_factory=list)
    test_drives_today: list[AgendaItem] = field(default_factory=list)
    test_drives_tomorrow: list[Any] = field(default_factory=list)
    deliveries_today: list[Any] = field(default_factory=list)
    deliveries_tomorrow: list[Any] = field(default_factory=list)
    pool: list[Lead] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    more_pool: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.due_today
            or self.due_tomorrow
            or self.test_drives_today
            or self.test_drives_tomorrow
            or self.deliveries_today
            or self.deliveries_tomorrow
            or self.pool
        )


def day_bounds(
    dealer: Dealer, now: dt.datetime
) -> tuple[dt.date, dt.datetime, dt.datetime, dt.datetime]:
    """(today, start of today, start of tomorrow, start of the day after) in the dealer's zone."""
    tz = dealer_zone(dealer)
    today = timezone.localtime(now, tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return today, start, start + dt.timedelta(days=1), start + dt.timedelta(days=2)


@dataclass
class AgendaItem:
    """A test drive or a delivery on the consultant's agenda (one row of the UNION query)."""

    kind: str  # "drive" | "delivery"
    pk: int
    lead_id: int
    customer_name: str
    customer_phone: str
    at: dt.datetime | None  # test drive start
    until: dt.datetime | None  # test drive end
    day: dt.date | None  # expected delivery
    what: str  # vehicle / trim


def _customer_name(kind: str, first: str, last: str, company: str, phone: str) -> str:
    if kind == "company" and company:
        return company
    return f"{first} {last}".strip() or phone


def agenda(
    *, user: Any, start: dt.datetime, end: dt.datetime, day_after: dt.date
) -> list[AgendaItem]:
    """Test drives (booked or on the road) starting in [start, end) and open orders expected
    before `day_after` (late ones too), in one UNION ALL query."""
    from sales.models import Order, TestDrive

    columns = (
        "kind_",
        "id",
        "lead_id",
        "customer__kind",
        "customer__first_name",
        "customer__last_name",
        "customer__company_name",
        "customer__phone",
        "at_",
        "until_",
        "day_",
        "what_",
    )
    drives = (
        TestDrive.objects.filter(
            consultant=user,
            status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT],
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(
            kind_=Value("drive", output_field=CharField()),
            at_=F("starts_at"),
            until_=F("ends_at"),
            day_=Value(None, output_field=DateField()),
            what_=Concat(
                F("vehicle__vehicle_model__name"),
                Value(" "),
                F("vehicle__plate"),
                output_field=CharField(),
            ),
        )
        .values_list(*columns)
    )
    deliveries = (
        Order.objects.filter(
            consultant=user, status=Order.Status.OPEN, expected_delivery__lt=day_after
        )
        .annotate(
            kind_=Value("delivery", output_field=CharField()),
            at_=Value(None, output_field=DateTimeField()),
            until_=Value(None, output_field=DateTimeField()),
            day_=F("expected_delivery"),
            what_=Concat(
                F("quote__trim__vehicle_model__name"),
                Value(" "),
                F("quote__trim__name"),
                output_field=CharField(),
            ),
        )
        .values_list(*columns)
    )
    items = [
        AgendaItem(
            kind=kind,
            pk=pk,
            lead_id=lead_id,
            customer_name=_customer_name(ckind, first, last, company, phone),
            customer_phone=phone,
            at=at,
            until=until,
            day=day,
            what=what or "",
        )
        for kind, pk, lead_id, ckind, first, last, company, phone, at, until, day, what in (
            drives.union(deliveries, all=True)[: 2 * ROW_LIMIT]
        )
    ]
    items.sort(
        key=lambda i: i.at or dt.datetime.combine(i.day or dt.date.max, dt.time.min, tzinfo=dt.UTC)
    )
    return items


SECTIONS = ("overdue", "due_today", "due_tomorrow")

# What a follow-up row shows: fewer columns to read, parse and instantiate.
FOLLOW_UP_ROW_FIELDS = (
    "dealer_id",
    "lead_id",
    "customer_id",
    "owner_id",
    "kind",
    "due_at",
    "done_at",
    "note",
    "lead__grade",
    "lead__vehicle_model_id",
    "lead__vehicle_model__name",
    "customer__kind",
    "customer__first_name",
    "customer__last_name",
    "customer__company_name",
    "customer__phone",
    "customer__email",
)
POOL_ROW_FIELDS = (
    "dealer_id",
    "customer_id",
    "vehicle_model_id",
    "stage",
    "pooled_at",
    "customer__kind",
    "customer__first_name",
    "customer__last_name",
    "customer__company_name",
    "customer__phone",
    "customer__email",
    "vehicle_model__name",
)


def section_bounds(
    section: str, *, now: dt.datetime, tomorrow_start: dt.datetime, end: dt.datetime
) -> dict[str, dt.datetime]:
    """The due_at range of one follow-up section of the day (filter keyword arguments)."""
    if section == "overdue":
        return {"due_at__lt": now}
    if section == "due_today":
        return {"due_at__gte": now, "due_at__lt": tomorrow_start}
    if section == "due_tomorrow":
        return {"due_at__gte": tomorrow_start, "due_at__lt": end}
    raise ValueError(section)


def _open_follow_ups(user: Any, dealer: Dealer) -> QuerySet[FollowUp]:
    # dealer_id and owner_id by equality, done_at IS NULL: the partial index
    # followup_open_owner_due (dealer, owner, due_at) gives every section its range.
    return FollowUp.objects.filter(dealer_id=dealer.pk, owner_id=user.pk, done_at__isnull=True)


def _capped_count(qs: QuerySet[FollowUp]) -> RawSQL:
    """COUNT over at most COUNT_CAP + 1 rows of `qs`, as a scalar subquery that PostgreSQL
    evaluates once (InitPlan): the page says "500+" instead of counting a runaway backlog."""
    sql, params = qs.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS capped", params)  # noqa: S608,S611 - ORM SQL


def _mark_other_days(rows: list[FollowUp], *, today: dt.date, tz: dt.tzinfo | None) -> None:
    """f.other_day: due on another day than today in the dealer's zone (the row shows the date)."""
    for f in rows:
        f.other_day = timezone.localtime(f.due_at, tz).date() != today  # type: ignore[attr-defined]


def follow_up_section(
    *, user: Any, dealer: Dealer, section: str, offset: int, now: dt.datetime | None = None
) -> Section:
    """The next PAGE_SIZE rows of one section from `offset` on ("show more"), in due order, with
    what a row shows (customer, lead, model) joined in: one query, no count."""
    now = now or timezone.now()
    today, start, tomorrow_start, end = day_bounds(dealer, now)
    bounds = section_bounds(section, now=now, tomorrow_start=tomorrow_start, end=end)
    page = (
        _open_follow_ups(user, dealer)
        .filter(**bounds)
        .order_by("due_at", "id")
        .values("pk")[offset : offset + PAGE_SIZE + 1]
    )
    rows = list(
        FollowUp.objects.filter(pk__in=page)
        .select_related("customer", "lead", "lead__vehicle_model")
        .only(*FOLLOW_UP_ROW_FIELDS)
        .order_by("due_at", "id")
    )
    _mark_other_days(rows, today=today, tz=start.tzinfo)
    return Section(
        name=section,
        rows=rows[:PAGE_SIZE],
        count=-1,
        more=len(rows) > PAGE_SIZE,
        offset=offset,
    )


def _follow_ups_of_the_day(
    plan: MyDay, *, user: Any, dealer: Dealer, limits: dict[str, int]
) -> None:
    """1 query: the first rows of each section (overdue, due today, due tomorrow), each picked
    by a LIMITed index range scan before anything is joined, plus the capped section counts."""
    today, start, tomorrow_start, end = day_bounds(dealer, plan.now)
    base = _open_follow_ups(user, dealer)
    ranges = {
        name: section_bounds(name, now=plan.now, tomorrow_start=tomorrow_start, end=end)
        for name in SECTIONS
    }
    pages = [
        base.filter(**ranges[name]).order_by("due_at", "id").values("pk")[: limits[name] + 1]
        for name in SECTIONS
    ]
    ids = pages[0].union(*pages[1:], all=True)
    rows = list(
        FollowUp.objects.filter(pk__in=ids)
        .select_related("customer", "lead", "lead__vehicle_model")
        .only(*FOLLOW_UP_ROW_FIELDS)
        .annotate(
            **{f"count_{name}": _capped_count(base.filter(**ranges[name])) for name in SECTIONS}
        )
        .order_by("due_at", "id")
    )
    _mark_other_days(rows, today=today, tz=start.tzinfo)
    buckets: dict[str, list[FollowUp]] = {name: [] for name in SECTIONS}
    for f in rows:
        if f.due_at < plan.now:
            buckets["overdue"].append(f)
        elif f.due_at < tomorrow_start:
            buckets["due_today"].append(f)
        else:
            buckets["due_tomorrow"].append(f)
    counts = (
        {name: getattr(rows[0], f"count_{name}") or 0 for name in SECTIONS}
        if rows
        else dict.fromkeys(SECTIONS, 0)
    )
    for name in SECTIONS:
        shown = buckets[name][: limits[name]]
        setattr(plan, name, shown)
        plan.sections[name] = Section(
            name=name, rows=shown, count=counts[name], more=len(buckets[name]) > limits[name]
        )


def my_day(
    *,
    user: Any,
    dealer: Dealer,
    now: dt.datetime | None = None,
    limits: dict[str, int] | None = None,
) -> MyDay:
    """The consultant's day in three queries whatever the size of the dealer or the backlog.
    `limits`: rows per follow-up section (default PAGE_SIZE each)."""
    now = now or timezone.now()
    today, _start, tomorrow_start, end = day_bounds(dealer, now)
    plan = MyDay(today=today, tomorrow=today + dt.timedelta(days=1), now=now)
    wanted = dict.fromkeys(SECTIONS, PAGE_SIZE)
    wanted.update(limits or {})

    # 1 query: the first rows of each follow-up section and how many there are (capped).
    _follow_ups_of_the_day(plan, user=user, dealer=dealer, limits=wanted)

    # 1 query (UNION ALL): my test drives and my open orders due for delivery (late included).
    for item in agenda(user=user, start=_start, end=end, day_after=today + dt.timedelta(days=2)):
        if item.kind == "drive":
            local_day = timezone.localtime(item.at, _start.tzinfo).date()
            target = plan.test_drives_today if local_day == today else plan.test_drives_tomorrow
        else:
            target = (
                plan.deliveries_today if (item.day or today) <= today else plan.deliveries_tomorrow
            )
        target.append(item)

    # 1 query: the newest pool leads someone else held (the consultant's own come back by
    # simply working them).
    pool = list(
        Lead.objects.filter(dealer_id=dealer.pk, in_pool=True)
        .exclude(consultant_id=user.pk)
        .select_related("customer", "vehicle_model")
        .only(*POOL_ROW_FIELDS)
        .order_by("-pooled_at", "-id")[: POOL_LIMIT + 1]
    )
    plan.more_pool = len(pool) > POOL_LIMIT
    plan.pool = pool[:POOL_LIMIT]
    return plan
