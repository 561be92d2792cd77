"""Reads about bulletins: a user's inbox and its counts, one bulletin for its reader, and the
compliance figures (HQ: by region and dealer within the caller's regions; a dealer's managers:
their own staff). Every read runs in the caller's tenant scope and filters by their `Access` too.

Staff names are not customer data: HQ may see who is overdue. Nothing here reads a customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer
from dealers.roles import Cap, DealerRole
from dealers.selectors import Access
from dms.tenancy.context import current_dealer_ids

from .models import Bulletin, BulletinRecipient, BulletinTally
from .services import BulletinNotFound, live_bulletins

UNREAD = Q(opened_version__lt=F("bulletin__version"))
UNACKNOWLEDGED = Q(bulletin__requires_ack=True, acknowledged_version__lt=F("bulletin__ack_version"))


def _live(now: dt.datetime) -> Q:
    return Q(bulletin__status=Bulletin.Status.PUBLISHED) & (
        Q(bulletin__live_until__isnull=True) | Q(bulletin__live_until__gt=now)
    )


def inbox(*, user: Any, now: dt.datetime | None = None) -> QuerySet[BulletinRecipient]:
    """The user's live bulletins at the dealer they work in (active scope), newest received
    first (the inbox index walks them in that order and stops at the page's end), each
    row with its bulletin (without the body) and `is_unread` / `needs_ack` / `is_overdue`."""
    now = now or timezone.now()
    return (
        BulletinRecipient.objects.filter(_live(now), user_id=user.pk, retired_at__isnull=True)
        .select_related("bulletin")
        .defer("bulletin__body")
        .annotate(
            is_unread=_as_bool(UNREAD),
            needs_ack=_as_bool(UNACKNOWLEDGED),
            is_overdue=_as_bool(UNACKNOWLEDGED & Q(bulletin__ack_deadline__lte=now)),
        )
        .order_by("-created_at", "-bulletin_id")
    )


def _as_bool(condition: Q) -> Any:
    return ExpressionWrapper(condition, output_field=BooleanField())


@dataclass(frozen=True)
class InboxCounts:
    total: int
    unread: int
    unacknowledged: int
    overdue: int
    pending: int = 0  # unread or not acknowledged: the menu badge


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# The counts in one pass over the user's rows (the inbox index, read index-only: count(*) needs
# no column outside it) joined to their bulletins; the conditions are UNREAD / UNACKNOWLEDGED.
_UNREAD_SQL = "r.opened_version < b.version"
_UNACK_SQL = "(b.requires_ack AND r.acknowledged_version < b.ack_version)"
_COUNTS_SQL = (
    "SELECT count(*), "  # noqa: S608 - table names from the models, values bound
    f"count(*) FILTER (WHERE {_UNREAD_SQL}), "
    f"count(*) FILTER (WHERE {_UNACK_SQL}), "
    f"count(*) FILTER (WHERE {_UNACK_SQL} AND b.ack_deadline <= %(now)s), "
    f"count(*) FILTER (WHERE {_UNREAD_SQL} OR {_UNACK_SQL}) "
    f"FROM {_table(BulletinRecipient)} r JOIN {_table(Bulletin)} b ON b.id = r.bulletin_id "
    "WHERE r.user_id = %(user)s AND r.retired_at IS NULL "
    f"AND b.status = '{Bulletin.Status.PUBLISHED.value}' "
    "AND (b.live_until IS NULL OR b.live_until > %(now)s)"
)


def inbox_counts(*, user: Any, now: dt.datetime | None = None) -> InboxCounts:
    """The numbers for the navigation badge and the inbox's tabs: one aggregate query, written
    as SQL (the ORM's compiled aggregate cost twice the query itself on the 5,000-bulletin
    inbox: bench/bulletins.py). Same rows as `inbox()`: the active tenant scope's dealers
    (wall 1: raises without a scope, as the model's manager does; RLS applies in the
    database)."""
    BulletinRecipient.objects.all()  # the tenant scope check of the scoped manager
    params: dict[str, Any] = {"now": now or timezone.now(), "user": int(user.pk or 0)}
    sql = _COUNTS_SQL
    dealer_ids = current_dealer_ids()
    if dealer_ids:
        sql += " AND r.dealer_id = ANY(%(dealers)s)"
        params["dealers"] = list(dealer_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total, unread, unacknowledged, overdue, pending = cursor.fetchone()
    return InboxCounts(
        total=total,
        unread=unread,
        unacknowledged=unacknowledged,
        overdue=overdue,
        pending=pending,
    )


def bulletin_for_reader(*, user: Any, pk: int, now: dt.datetime | None = None) -> Bulletin:
    """A live bulletin the user receives at the dealer they work in; not found otherwise
    (missing, withdrawn and not targeted answer alike)."""
    now = now or timezone.now()
    targeted = BulletinRecipient.objects.filter(
        bulletin_id=pk, user_id=user.pk, retired_at__isnull=True
    ).exists()
    bulletin = live_bulletins(now).filter(pk=pk).first() if targeted else None
    if bulletin is None:
        raise BulletinNotFound(_("No such bulletin."))
    return bulletin


# --- compliance ------------------------------------------------------------------------------------

COMPLIANCE_HQ_CAPS = (Cap.KPI_NETWORK,)
COMPLIANCE_DEALER_CAPS = (Cap.KPI_DEALER, Cap.STAFF_MANAGE)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Figures:
    recipients: int = 0
    opened: int = 0
    acknowledged: int = 0
    overdue: int = 0

    @property
    def share_acknowledged(self) -> float | None:
        return _share(self.acknowledged, self.recipients)

    @property
    def share_opened(self) -> float | None:
        return _share(self.opened, self.recipients)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.recipients + other.recipients,
            self.opened + other.opened,
            self.acknowledged + other.acknowledged,
            self.overdue + other.overdue,
        )


@dataclass(frozen=True)
class DealerLine:
    dealer_id: int
    code: str
    name: str
    region_id: int
    region: str
    figures: Figures


@dataclass(frozen=True)
class RegionLine:
    region_id: int
    name: str
    figures: Figures


@dataclass(frozen=True)
class StaffLine:
    dealer_id: int
    dealer_code: str
    user_id: int
    name: str
    role: str
    opened_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    overdue: bool

    @property
    def role_label(self) -> str:
        return str(DealerRole(self.role).label) if self.role in DealerRole.values else self.role


@dataclass(frozen=True)
class Compliance:
    bulletin: Bulletin
    total: Figures
    regions: list[RegionLine] = field(default_factory=list)
    dealers: list[DealerLine] = field(default_factory=list)
    overdue: list[StaffLine] = field(default_factory=list)
    # Who has not acknowledged the current round yet (overdue or not), and of them who opened
    # it; both limited by `people_limit` when the caller gave one (the totals count everyone).
    unacknowledged: list[StaffLine] = field(default_factory=list)
    pending: list[StaffLine] = field(default_factory=list)

    @property
    def opened_not_acknowledged(self) -> list[StaffLine]:
        return self.pending

    @property
    def pending_count(self) -> int:
        return self.total.opened - self.total.acknowledged if self.bulletin.requires_ack else 0

    @property
    def unacknowledged_count(self) -> int:
        return self.total.recipients - self.total.acknowledged if self.bulletin.requires_ack else 0


def _acked(bulletin: Bulletin) -> Q:
    return Q(acknowledged_version__gte=bulletin.ack_version)


def _is_late(bulletin: Bulletin, now: dt.datetime) -> bool:
    return bool(bulletin.requires_ack and bulletin.ack_deadline and bulletin.ack_deadline <= now)


def _dealers_in_view(access: Access) -> tuple[int, ...]:
    if access.is_hq and any(access.can(c) for c in COMPLIANCE_HQ_CAPS):
        return access.dealer_ids
    if access.dealer is not None and any(access.can(c) for c in COMPLIANCE_DEALER_CAPS):
        return (access.dealer.pk,)
    raise PermissionDenied(_("You may not see who acknowledged this bulletin."))


def _published(pk: int) -> Bulletin:
    bulletin = Bulletin.objects.exclude(status=Bulletin.Status.DRAFT).filter(pk=pk).first()
    if bulletin is None:
        raise BulletinNotFound(_("No such bulletin."))
    return bulletin


def compliance(
    *,
    access: Access,
    bulletin_id: int,
    now: dt.datetime | None = None,
    people_limit: int | None = None,
) -> Compliance:
    """Per bulletin: acknowledged (and opened) share by region and by dealer, who has not
    acknowledged (overdue once the deadline passed) and who opened it without acknowledging —
    over the dealers the caller may see (HQ admin: all; regional manager: their regions'; a
    dealer's managers: their own dealer, where a bulletin that does not reach it is not found).

    The figures come from the tally (bulletins.models.BulletinTally: counts per dealer, kept by
    the services), not from counting the reading records under RLS; the names (a bulletin to
    acknowledge only) from the reading records, at most `people_limit` of each list when given
    (the page shows the first ones, the export all). Queries: tally, dealers, and two lists."""
    now = now or timezone.now()
    dealer_ids = _dealers_in_view(access)
    bulletin = _published(bulletin_id)
    late = _is_late(bulletin, now)
    acked = _acked(bulletin)
    per_dealer = {
        dealer_id: Figures(
            recipients=n,
            opened=opened,
            acknowledged=acknowledged,
            overdue=(n - acknowledged) if late else 0,
        )
        for dealer_id, n, opened, acknowledged in BulletinTally.objects.filter(
            bulletin_id=bulletin.pk, dealer_id__in=dealer_ids, recipients__gt=0
        )
        .order_by("dealer_id")
        .values_list("dealer_id", "recipients", "opened", "acknowledged")
    }
    if not access.is_hq and not per_dealer:
        raise BulletinNotFound(_("No such bulletin."))
    dealers = {
        d.pk: d
        for d in Dealer.objects.filter(pk__in=per_dealer).select_related("region").order_by("code")
    }
    dealer_lines = [
        DealerLine(d.pk, d.code, d.name, d.region_id, d.region.name, per_dealer[d.pk])
        for d in dealers.values()
    ]
    by_region: dict[int, RegionLine] = {}
    for line in dealer_lines:
        seen = by_region.get(line.region_id)
        total = (seen.figures if seen else Figures()) + line.figures
        by_region[line.region_id] = RegionLine(line.region_id, line.region, total)
    unacknowledged: list[StaffLine] = []
    pending: list[StaffLine] = []
    total = sum((line.figures for line in dealer_lines), Figures())
    if bulletin.requires_ack and total.acknowledged < total.recipients:
        # Only the dealers with someone left to acknowledge (the tally says which).
        behind = [d for d, f in per_dealer.items() if f.acknowledged < f.recipients]
        waiting = BulletinRecipient.objects.filter(
            bulletin_id=bulletin.pk, dealer_id__in=behind, retired_at__isnull=True
        ).exclude(acked)
        unacknowledged = _people(waiting, dealers, late, people_limit)
        if total.opened > total.acknowledged:
            opened_behind = [d for d in behind if per_dealer[d].opened > per_dealer[d].acknowledged]
            pending = _people(
                waiting.filter(dealer_id__in=opened_behind, opened_at__isnull=False),
                dealers,
                late,
                people_limit,
            )
    return Compliance(
        bulletin=bulletin,
        total=total,
        regions=sorted(by_region.values(), key=lambda r: r.name),
        dealers=dealer_lines,
        overdue=unacknowledged if late else [],
        unacknowledged=unacknowledged,
        pending=pending,
    )


def _people(
    rows: QuerySet[BulletinRecipient], dealers: Mapping[int, Dealer], late: bool, limit: int | None
) -> list[StaffLine]:
    """Staff lines of these (not acknowledged) reading records, by dealer code and name. With a
    limit, the first ones in index order (the scan stops there)."""
    values = rows.order_by("dealer_id").values(
        "dealer_id",
        "user_id",
        "role",
        "opened_at",
        "user__first_name",
        "user__last_name",
        "user__username",
    )
    lines = [
        StaffLine(
            dealer_id=r["dealer_id"],
            dealer_code=dealers[r["dealer_id"]].code,
            user_id=r["user_id"],
            name=_full_name(r),
            role=r["role"],
            opened_at=r["opened_at"],
            acknowledged_at=None,
            overdue=late,
        )
        for r in (values[:limit] if limit is not None else values)
        if r["dealer_id"] in dealers
    ]
    lines.sort(key=lambda s: (s.dealer_code, s.name.lower(), s.user_id))
    return lines


def _full_name(row: Mapping[str, Any]) -> str:
    name = f"{row['user__first_name']} {row['user__last_name']}".strip()
    return name or row["user__username"]


def staff_status(
    *, access: Access, bulletin_id: int, now: dt.datetime | None = None
) -> list[StaffLine]:
    """A dealer's managers: each of their own staff the bulletin reaches, with when they opened
    and acknowledged it (the current round) and whether they are overdue. Not found when the
    bulletin does not reach the dealer."""
    now = now or timezone.now()
    if access.is_hq or access.dealer is None:
        raise PermissionDenied(_("Only a dealer's managers see their staff's status."))
    (dealer_id,) = _dealers_in_view(access)
    bulletin = _published(bulletin_id)
    late = _is_late(bulletin, now)
    rows = BulletinRecipient.objects.filter(
        bulletin_id=bulletin.pk, dealer_id=dealer_id, retired_at__isnull=True
    ).values(
        "dealer_id",
        "user_id",
        "role",
        "opened_at",
        "acknowledged_at",
        "acknowledged_version",
        "user__first_name",
        "user__last_name",
        "user__username",
    )
    lines = []
    for r in rows:
        done = bulletin.requires_ack and r["acknowledged_version"] >= bulletin.ack_version
        lines.append(
            StaffLine(
                dealer_id=r["dealer_id"],
                dealer_code=access.dealer.code,
                user_id=r["user_id"],
                name=_full_name(r),
                role=r["role"],
                opened_at=r["opened_at"],
                acknowledged_at=r["acknowledged_at"] if done else None,
                overdue=late and not done,
            )
        )
    if not lines:
        raise BulletinNotFound(_("No such bulletin."))
    return sorted(lines, key=lambda s: (not s.overdue, s.name.lower(), s.user_id))


# --- HQ's list of bulletins and a dealer's managers' list ----------------------------------------


@dataclass(frozen=True)
class Progress:
    recipients: int = 0
    opened: int = 0
    acknowledged: int = 0

    @property
    def percent_acknowledged(self) -> int:
        return round(100 * self.acknowledged / self.recipients) if self.recipients else 0

    @property
    def percent_opened(self) -> int:
        return round(100 * self.opened / self.recipients) if self.recipients else 0


def hq_bulletins(*, status: str = "", category: str = "") -> QuerySet[Bulletin]:
    """Every bulletin for HQ's list (drafts first among the newest), with its targets."""
    rows = Bulletin.objects.defer("body").prefetch_related(
        "target_regions", "target_groups", "target_dealers"
    )
    if status in Bulletin.Status.values:
        rows = rows.filter(status=status)
    if category in Bulletin.Category.values:
        rows = rows.filter(category=category)
    return rows.order_by(F("published_at").desc(nulls_first=True), "-id")


def progress(
    *, bulletins: list[Bulletin], dealer_ids: tuple[int, ...] | list[int]
) -> dict[int, Progress]:
    """Recipients, opened and acknowledged (the round each asks for) per bulletin, over the
    given dealers: one grouped query over the tally for the whole page of bulletins."""
    published = [b.pk for b in bulletins if b.status != Bulletin.Status.DRAFT]
    if not published:
        return {}
    rows = (
        BulletinTally.objects.filter(bulletin_id__in=published, dealer_id__in=list(dealer_ids))
        .values("bulletin_id")
        .order_by("bulletin_id")
        .annotate(n=Sum("recipients"), opened=Sum("opened"), acked=Sum("acknowledged"))
    )
    return {r["bulletin_id"]: Progress(r["n"], r["opened"], r["acked"]) for r in rows}


def dealer_bulletins(*, dealer_id: int) -> list[tuple[Bulletin, Progress]]:
    """For a dealer's managers: the published bulletins that reached the dealer (newest first)
    with their staff's progress (from the tally: two queries)."""
    by_pk = {
        bulletin_id: Progress(n, opened, acked)
        for bulletin_id, n, opened, acked in BulletinTally.objects.filter(
            dealer_id=dealer_id, recipients__gt=0
        ).values_list("bulletin_id", "recipients", "opened", "acknowledged")
    }
    bulletins = (
        Bulletin.objects.defer("body")
        .filter(pk__in=by_pk)
        .exclude(status=Bulletin.Status.DRAFT)
        .order_by("-published_at", "-pk")
    )
    return [(b, by_pk[b.pk]) for b in bulletins]


def versions_of(bulletin: Bulletin) -> QuerySet[Any]:
    return bulletin.versions.order_by("-number")


def compliance_people(
    *, access: Access, bulletin_id: int, now: dt.datetime | None = None
) -> tuple[Bulletin, list[tuple[DealerLine, StaffLine]]]:
    """Every current recipient within the caller's view (for the export), with their dealer:
    HQ over its regions, a dealer's managers over their own staff."""
    now = now or timezone.now()
    dealer_ids = _dealers_in_view(access)
    bulletin = _published(bulletin_id)
    late = _is_late(bulletin, now)
    rows = list(
        BulletinRecipient.objects.filter(
            bulletin_id=bulletin.pk, dealer_id__in=dealer_ids, retired_at__isnull=True
        ).values(
            "dealer_id",
            "user_id",
            "role",
            "opened_at",
            "acknowledged_at",
            "acknowledged_version",
            "user__first_name",
            "user__last_name",
            "user__username",
        )
    )
    if not access.is_hq and not rows:
        raise BulletinNotFound(_("No such bulletin."))
    dealers = {
        d.pk: d
        for d in Dealer.objects.filter(pk__in={r["dealer_id"] for r in rows}).select_related(
            "region"
        )
    }
    out: list[tuple[DealerLine, StaffLine]] = []
    for r in rows:
        done = bulletin.requires_ack and r["acknowledged_version"] >= bulletin.ack_version
        d = dealers[r["dealer_id"]]
        out.append(
            (
                DealerLine(d.pk, d.code, d.name, d.region_id, d.region.name, Figures()),
                StaffLine(
                    dealer_id=d.pk,
                    dealer_code=d.code,
                    user_id=r["user_id"],
                    name=_full_name(r),
                    role=r["role"],
                    opened_at=r["opened_at"],
                    acknowledged_at=r["acknowledged_at"] if done else None,
                    overdue=bool(late and bulletin.requires_ack and not done),
                ),
            )
        )
    out.sort(key=lambda p: (p[1].dealer_code, p[1].name.lower(), p[1].user_id))
    return bulletin, out
