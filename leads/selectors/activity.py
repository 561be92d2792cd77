"""The daily sales activity report: per consultant and for the dealer, how many calls, showroom
visits, test drives, quotes, orders, new leads and follow-ups done on a day. Counted from the rows
the day's work wrote (timeline, visitor log, sales tables): one grouped query per figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from dealers.clock import dealer_zone
from dealers.models import Dealer
from leads.models import FollowUp, StageChange, TimelineEvent, Visit

FIGURES = [
    ("calls", _("Calls")),
    ("visits", _("Showroom visits")),
    ("test_drives", _("Test drives")),
    ("quotes", _("Quotes")),
    ("orders", _("Orders")),
    ("new_leads", _("New leads")),
    ("follow_ups", _("Follow-ups done")),
]


@dataclass
class ActivityRow:
    user_id: int | None
    name: str
    figures: dict[str, int] = field(default_factory=dict)

    def values(self) -> list[int]:
        return [self.figures.get(key, 0) for key, _label in FIGURES]


@dataclass
class ActivityReport:
    day: dt.date
    rows: list[ActivityRow]
    total: ActivityRow
    figures: list[tuple[str, Any]]


def _grouped(qs: QuerySet[Any], user_field: str) -> dict[int | None, int]:
    return {row[user_field]: row["n"] for row in qs.values(user_field).annotate(n=Count("id"))}


def activity_report(
    *, dealer: Dealer, day: dt.date, user_ids: list[int] | None = None
) -> ActivityReport:
    """`user_ids` limits the report to these staff (a consultant sees their own line only)."""
    tz = dealer_zone(dealer)
    since = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    until = since + dt.timedelta(days=1)

    def limit(qs: QuerySet[Any], user_field: str) -> QuerySet[Any]:
        return qs.filter(**{f"{user_field}__in": user_ids}) if user_ids is not None else qs

    per_figure: dict[str, dict[int | None, int]] = {}
    per_figure["calls"] = _grouped(
        limit(
            TimelineEvent.objects.filter(
                dealer_id=dealer.pk, kind="call", at__gte=since, at__lt=until
            ),
            "actor_id",
        ),
        "actor_id",
    )
    per_figure["visits"] = _grouped(
        limit(
            Visit.objects.filter(
                dealer_id=dealer.pk,
                kind=Visit.Kind.WALK_IN,
                arrived_at__gte=since,
                arrived_at__lt=until,
            ),
            "served_by_id",
        ),
        "served_by_id",
    )
    per_figure["new_leads"] = _grouped(
        limit(
            StageChange.objects.filter(
                dealer_id=dealer.pk, to_stage="new", changed_at__gte=since, changed_at__lt=until
            ),
            "lead__consultant_id",
        ),
        "lead__consultant_id",
    )
    per_figure["follow_ups"] = _grouped(
        limit(
            FollowUp.objects.filter(
                dealer_id=dealer.pk, done_at__gte=since, done_at__lt=until
            ).exclude(result=""),
            "owner_id",
        ),
        "owner_id",
    )
    try:
        from sales.models import Order, Quote, TestDrive
    except ImportError:  # pragma: no cover
        pass
    else:
        per_figure["test_drives"] = _grouped(
            limit(
                TestDrive.objects.filter(
                    dealer_id=dealer.pk,
                    starts_at__gte=since,
                    starts_at__lt=until,
                    status__in=[TestDrive.Status.OUT, TestDrive.Status.DONE],
                ),
                "consultant_id",
            ),
            "consultant_id",
        )
        per_figure["quotes"] = _grouped(
            limit(
                Quote.objects.filter(
                    dealer_id=dealer.pk, created_at__gte=since, created_at__lt=until
                ),
                "created_by_id",
            ),
            "created_by_id",
        )
        per_figure["orders"] = _grouped(
            limit(
                Order.objects.filter(
                    dealer_id=dealer.pk, ordered_at__gte=since, ordered_at__lt=until
                ),
                "consultant_id",
            ),
            "consultant_id",
        )

    users: set[int] = set()
    for counts in per_figure.values():
        users.update(k for k in counts if k is not None)
    if user_ids is not None:
        users.update(user_ids)
    names = {
        u.pk: u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in=users)
    }
    rows = []
    for uid in sorted(users, key=lambda u: names.get(u, "")):
        rows.append(
            ActivityRow(
                user_id=uid,
                name=names.get(uid, "?"),
                figures={key: per_figure.get(key, {}).get(uid, 0) for key, _l in FIGURES},
            )
        )
    total = ActivityRow(
        user_id=None,
        name=str(_("Dealer total")),
        figures={key: sum(per_figure.get(key, {}).values()) for key, _l in FIGURES},
    )
    return ActivityReport(day=day, rows=rows, total=total, figures=FIGURES)
