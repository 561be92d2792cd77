"""Bulletins: HQ writes, publishes, revises and withdraws them; staff open and acknowledge them;
a periodic task reminds and escalates (issue 14, item 5).

Rules:
- Bulletins are HQ reference data: only HQ admins (capability `network.admin`) write them, and
  only through these functions. Every change is in the audit log and every published version in
  `BulletinVersion`.
- The body is HTML cleaned by nh3 (an allow-list of tags, attributes and URL schemes) here, on
  every save: no script, event handler or `javascript:` link reaches a page.
- Publishing creates one `BulletinRecipient` per targeted user per dealer in one set-based
  `INSERT … SELECT` (3,000 users × 170 dealers is one statement), under a write scope over
  exactly the targeted dealers. Someone who joins later gets the live bulletins through
  `on_membership_changed` (dealers' `membership_changed` signal).
- Acknowledging is idempotent: a conditional UPDATE that only touches a row not yet acknowledged
  for the bulletin's `ack_version`; a second click (or two at once) changes nothing.
- Reminders before the deadline and escalations after it go out once per recipient and round
  (`reminded_round` / `escalated_round` hold the `ack_version` they were sent for).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import nh3
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dealers.clock import dealer_zone
from dealers.models import Dealer, DealerGroup, Membership, Region
from dealers.roles import HQ_ROLE_CAPS, Cap, DealerRole
from dms.audit.services import record_reference_change
from dms.tenancy.context import as_dealer, as_dealers

from . import badge_cache
from .models import Bulletin, BulletinRecipient, BulletinTally, BulletinVersion
from .notify import deliver

# --- sanitising ----------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark",
    "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "pre", "code", "a",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan", "scope"},
                      "td": {"colspan", "rowspan"}, "ol": {"start"}}  # fmt: skip
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise(html: str) -> str:
    """The body as it is stored: nh3 keeps the allow-listed markup and drops everything else
    (script and style elements with their content, event handlers, javascript: URLs)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


# --- errors --------------------------------------------------------------------------------------


class BulletinNotFound(Http404):
    """Not targeted at this user, not live, or does not exist: one answer for all three, so that
    nobody learns that a bulletin they may not read exists."""


def _not_found() -> BulletinNotFound:
    return BulletinNotFound(_("No such bulletin."))


def _check_hq_author(actor: Any) -> None:
    if Cap.NETWORK_ADMIN not in HQ_ROLE_CAPS.get(getattr(actor, "hq_role", ""), frozenset()):
        raise PermissionDenied(_("Only HQ administrators write bulletins."))


# --- drafts --------------------------------------------------------------------------------------

CONTENT_FIELDS = ("title", "body", "category", "priority", "requires_ack", "ack_deadline")
TARGET_FIELDS = ("all_dealers", "regions", "groups", "dealers", "roles")
DRAFT_FIELDS = (*CONTENT_FIELDS, *TARGET_FIELDS, "live_until")


def _clean_content(bulletin: Bulletin) -> None:
    errors: dict[str, str] = {}
    bulletin.title = (bulletin.title or "").strip()
    bulletin.body = sanitise(bulletin.body)
    if not bulletin.title:
        errors["title"] = _("Give the bulletin a title.")
    elif len(bulletin.title) > 200:
        errors["title"] = _("At most 200 characters.")
    if bulletin.category not in Bulletin.Category.values:
        errors["category"] = _("Choose a category from the list.")
    if bulletin.priority not in Bulletin.Priority.values:
        errors["priority"] = _("Choose a priority from the list.")
    if bulletin.requires_ack and bulletin.ack_deadline is None:
        errors["ack_deadline"] = _("A bulletin to acknowledge needs a deadline.")
    if not bulletin.requires_ack:
        bulletin.ack_deadline = None
    for name in ("ack_deadline", "live_until"):
        value = getattr(bulletin, name)
        if value is not None and timezone.is_naive(value):
            errors[name] = _("Give the time with its time zone.")
    if (
        bulletin.live_until is not None
        and bulletin.ack_deadline is not None
        and not {"ack_deadline", "live_until"} & set(errors)
        and bulletin.live_until <= bulletin.ack_deadline
    ):
        errors["live_until"] = _("The bulletin must stay visible until after its deadline.")
    if errors:
        raise ValidationError(errors)


def _set_targets(
    bulletin: Bulletin,
    *,
    regions: Iterable[Region],
    groups: Iterable[DealerGroup],
    dealers: Iterable[Dealer],
) -> None:
    bulletin.target_regions.set(list(regions))
    bulletin.target_groups.set(list(groups))
    bulletin.target_dealers.set(list(dealers))


def _check_roles(roles: Sequence[str]) -> list[str]:
    unknown = [r for r in roles if r not in DealerRole.values]
    if unknown:
        raise ValidationError({"roles": _("Choose roles from the list.")})
    return sorted(set(roles))


def _targets_snapshot(bulletin: Bulletin) -> dict[str, Any]:
    return {
        "all_dealers": bulletin.all_dealers,
        "regions": sorted(bulletin.target_regions.values_list("pk", flat=True)),
        "groups": sorted(bulletin.target_groups.values_list("pk", flat=True)),
        "dealers": sorted(bulletin.target_dealers.values_list("pk", flat=True)),
        "roles": list(bulletin.target_roles),
    }


def _audit(
    *,
    bulletin: Bulletin,
    actor: Any,
    change: str,
    request: HttpRequest | None,
    count: int = 1,
    **detail: Any,
) -> None:
    record_reference_change(
        obj=bulletin,
        actor=actor,
        change=change,
        request=request,
        count=count,
        bulletin=bulletin.pk,
        version=bulletin.version,
        **detail,
    )


@transaction.atomic
def create_draft(
    *,
    actor: Any,
    title: str,
    category: str,
    body: str = "",
    priority: str = Bulletin.Priority.NORMAL,
    requires_ack: bool = False,
    ack_deadline: dt.datetime | None = None,
    live_until: dt.datetime | None = None,
    all_dealers: bool = False,
    regions: Iterable[Region] = (),
    groups: Iterable[DealerGroup] = (),
    dealers: Iterable[Dealer] = (),
    roles: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> Bulletin:
    """A new draft (nobody sees it until it is published)."""
    _check_hq_author(actor)
    bulletin = Bulletin(
        title=title,
        body=body,
        category=category,
        priority=priority,
        requires_ack=requires_ack,
        ack_deadline=ack_deadline,
        live_until=live_until,
        all_dealers=all_dealers,
        target_roles=_check_roles(roles),
        author=actor,
    )
    _clean_content(bulletin)
    bulletin.save()
    _set_targets(bulletin, regions=regions, groups=groups, dealers=dealers)
    _audit(bulletin=bulletin, actor=actor, change="draft_created", request=request)
    return bulletin


def _locked(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().get(pk=bulletin.pk)


@transaction.atomic
def update_draft(
    *, bulletin: Bulletin, actor: Any, request: HttpRequest | None = None, **fields: Any
) -> Bulletin:
    """Change a draft's content, targeting or visibility. Published bulletins change through
    `revise` (a new version), never in place."""
    _check_hq_author(actor)
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"update_draft() got unexpected fields: {sorted(unknown)}")
    row = _locked(bulletin)
    if row.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("Only a draft can be edited; publish a revision instead."))
    before = {f: getattr(row, f) for f in (*CONTENT_FIELDS, "live_until")}
    for name in (*CONTENT_FIELDS, "live_until", "all_dealers"):
        if name in fields:
            setattr(row, name, fields[name])
    if "roles" in fields:
        row.target_roles = _check_roles(fields["roles"])
    _clean_content(row)
    row.save()
    if {"regions", "groups", "dealers"} & set(fields):
        _set_targets(
            row,
            regions=fields.get("regions", row.target_regions.all()),
            groups=fields.get("groups", row.target_groups.all()),
            dealers=fields.get("dealers", row.target_dealers.all()),
        )
    changed = sorted(f for f in before if before[f] != getattr(row, f))
    _audit(
        bulletin=row,
        actor=actor,
        change="draft_changed",
        request=request,
        fields=changed,
        targets=_targets_snapshot(row),
    )
    return row


# --- audience ------------------------------------------------------------------------------------


def dealer_filter(bulletin: Bulletin) -> Q:
    """Which dealers the bulletin reaches (before excluding inactive ones)."""
    if bulletin.all_dealers:
        return Q()
    regions = list(bulletin.target_regions.values_list("pk", flat=True))
    groups = list(bulletin.target_groups.values_list("pk", flat=True))
    dealers = list(bulletin.target_dealers.values_list("pk", flat=True))
    return Q(pk__in=dealers) | Q(region_id__in=regions) | Q(group_id__in=groups)


def has_dealer_targets(bulletin: Bulletin) -> bool:
    return (
        bulletin.all_dealers
        or bulletin.target_regions.exists()
        or bulletin.target_groups.exists()
        or bulletin.target_dealers.exists()
    )


def target_dealer_ids(bulletin: Bulletin) -> list[int]:
    """The active dealers the bulletin reaches."""
    if not has_dealer_targets(bulletin):
        return []
    return list(
        Dealer.objects.filter(dealer_filter(bulletin), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _fan_out(bulletin: Bulletin, dealer_ids: list[int], now: dt.datetime) -> int:
    """One recipient row per active member (of a targeted role) of the given dealers, in one
    INSERT … SELECT over the membership and user tables (reference tables on Citus). Rows that
    exist already stay as they are. Returns the number of new rows."""
    if not dealer_ids:
        return 0
    user_table = get_user_model()._meta.db_table
    # The tally counts the new rows as they are inserted (RETURNING): no second read of 3,000
    # reading records under 170 dealers' RLS.
    sql = (
        "WITH new AS ("  # noqa: S608 (table names only)
        f'INSERT INTO "{BulletinRecipient._meta.db_table}"'
        " (dealer_id, bulletin_id, user_id, role, created_at, opened_version,"
        " acknowledged_version, reminded_round, escalated_round)"
        " SELECT m.dealer_id, %s, m.user_id, m.role, %s, 0, 0, 0, 0"
        f' FROM "{Membership._meta.db_table}" m JOIN "{user_table}" u ON u.id = m.user_id'
        " WHERE m.is_active AND u.is_active AND m.dealer_id = ANY(%s::bigint[])"
        " AND (%s OR m.role = ANY(%s::varchar[]))"
        " ON CONFLICT (dealer_id, bulletin_id, user_id) DO NOTHING RETURNING dealer_id),"
        f' tally AS (INSERT INTO "{_tally_table()}" AS t'
        " (bulletin_id, dealer_id, recipients, opened, acknowledged)"
        " SELECT %s, dealer_id, count(*), 0, 0 FROM new GROUP BY dealer_id"
        " ON CONFLICT (bulletin_id, dealer_id) DO UPDATE"
        " SET recipients = t.recipients + EXCLUDED.recipients RETURNING 1)"
        " SELECT (SELECT count(*) FROM new), (SELECT count(*) FROM tally)"
    )
    roles = list(bulletin.target_roles)
    with as_dealers(dealer_ids, write=True), connection.cursor() as cursor:
        cursor.execute(sql, [bulletin.pk, now, dealer_ids, not roles, roles, bulletin.pk])
        created, _dealers = cursor.fetchone()
        return int(created)


# --- the tally (network projection of the reading records' counts) -------------------------------


def _tally_table() -> str:
    return BulletinTally._meta.db_table


def recount(*, bulletin_ids: Sequence[int], dealer_ids: Sequence[int]) -> None:
    """Recompute the tally of these bulletins at these dealers from the reading records, in
    the caller's transaction and inside a scope that reads those dealers. The tally rows are
    locked first, so a concurrent acknowledgement's increment is never lost: it either
    committed before the recount reads (a new statement sees it) or waits for this
    transaction and adds to the recounted figure."""
    if not bulletin_ids or not dealer_ids:
        return
    bulletin_ids, dealer_ids = sorted(set(bulletin_ids)), sorted(set(dealer_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT 1 FROM "{_tally_table()}" WHERE bulletin_id = ANY(%s::bigint[])'  # noqa: S608
            " AND dealer_id = ANY(%s::bigint[]) ORDER BY bulletin_id, dealer_id FOR UPDATE",
            [bulletin_ids, dealer_ids],
        )
        cursor.execute(
            f'INSERT INTO "{_tally_table()}"'  # noqa: S608 (table names only)
            " (bulletin_id, dealer_id, recipients, opened, acknowledged)"
            " SELECT b.id, d.d, count(r.id), count(r.opened_at),"
            " count(r.id) FILTER (WHERE b.requires_ack"
            " AND r.acknowledged_version >= b.ack_version)"
            f' FROM "{Bulletin._meta.db_table}" b CROSS JOIN unnest(%s::bigint[]) AS d(d)'
            f' LEFT JOIN "{BulletinRecipient._meta.db_table}" r ON r.dealer_id = d.d'
            " AND r.bulletin_id = b.id AND r.retired_at IS NULL"
            " WHERE b.id = ANY(%s::bigint[]) GROUP BY b.id, d.d"
            " ON CONFLICT (bulletin_id, dealer_id) DO UPDATE SET"
            " recipients = EXCLUDED.recipients, opened = EXCLUDED.opened,"
            " acknowledged = EXCLUDED.acknowledged",
            [dealer_ids, bulletin_ids],
        )


def _tally_add(*, bulletin_id: int, dealer_id: int, opened: int = 0, acknowledged: int = 0) -> None:
    """Count one user's first opening / acknowledgement (an atomic increment)."""
    if not (opened or acknowledged):
        return
    BulletinTally.objects.filter(bulletin_id=bulletin_id, dealer_id=dealer_id).update(
        opened=F("opened") + opened, acknowledged=F("acknowledged") + acknowledged
    )


# --- publishing, revising, withdrawing ----------------------------------------------------------


def _must_be_future(errors: dict[str, str], name: str, value: Any, now: dt.datetime) -> None:
    if value is not None and value <= now:
        errors[name] = _("This time has passed: choose one in the future.")


@transaction.atomic
def publish(
    *,
    bulletin: Bulletin,
    actor: Any,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Publish a draft: version 1 goes out to every targeted user. Returns how many received it.
    Refused (nothing changes) without any audience, or with a deadline in the past."""
    _check_hq_author(actor)
    now = now or timezone.now()
    row = _locked(bulletin)
    if row.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("This bulletin is already published or withdrawn."))
    _clean_content(row)
    errors: dict[str, str] = {}
    _must_be_future(errors, "ack_deadline", row.ack_deadline if row.requires_ack else None, now)
    _must_be_future(errors, "live_until", row.live_until, now)
    dealer_ids = target_dealer_ids(row)
    if not has_dealer_targets(row):
        errors["targets"] = _("Choose the whole network or at least one region, group or dealer.")
    elif not dealer_ids:
        errors["targets"] = _("None of the chosen dealers is active.")
    if errors:
        raise ValidationError(errors)
    row.status = Bulletin.Status.PUBLISHED
    row.published_at = now
    row.version = row.ack_version = 1
    row.save()
    BulletinVersion.objects.create(
        bulletin=row,
        number=1,
        title=row.title,
        body=row.body,
        requires_reack=False,
        ack_deadline=row.ack_deadline,
        published_by=actor,
        published_at=now,
    )
    created = _fan_out(row, dealer_ids, now)
    if created == 0:
        # Rolls the whole publication back: a bulletin nobody receives is a mistake.
        raise ValidationError({"targets": _("Nobody works in the chosen dealers and roles.")})
    badge_cache.forget_everyone()
    _audit(
        bulletin=row,
        actor=actor,
        change="published",
        request=request,
        count=created,
        dealers=len(dealer_ids),
        targets=_targets_snapshot(row),
    )
    bulletin.refresh_from_db()
    return created


@transaction.atomic
def revise(
    *,
    bulletin: Bulletin,
    actor: Any,
    title: str,
    body: str,
    note: str = "",
    requires_reack: bool = False,
    ack_deadline: dt.datetime | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Bulletin:
    """Publish a new version of a published bulletin. With `requires_reack` every recipient has
    to acknowledge again by the new deadline (their earlier acknowledgement no longer counts);
    without it, acknowledgements stand and the deadline may only be given again or moved."""
    _check_hq_author(actor)
    now = now or timezone.now()
    row = _locked(bulletin)
    if row.status != Bulletin.Status.PUBLISHED:
        raise ValidationError(_("Only a published bulletin can be revised."))
    errors: dict[str, str] = {}
    if requires_reack and not row.requires_ack:
        errors["requires_reack"] = _("This bulletin does not ask for acknowledgement.")
    if requires_reack and ack_deadline is None:
        errors["ack_deadline"] = _("Give the new deadline for acknowledging again.")
    if ack_deadline is not None and not row.requires_ack:
        errors["ack_deadline"] = _("This bulletin does not ask for acknowledgement.")
    _must_be_future(errors, "ack_deadline", ack_deadline, now)
    if errors:
        raise ValidationError(errors)
    row.title, row.body = title, body
    if ack_deadline is not None:
        row.ack_deadline = ack_deadline
    _clean_content(row)
    row.version += 1
    if requires_reack:
        row.ack_version = row.version
        BulletinTally.objects.filter(bulletin_id=row.pk).update(acknowledged=0)
    row.save()
    BulletinVersion.objects.create(
        bulletin=row,
        number=row.version,
        title=row.title,
        body=row.body,
        requires_reack=requires_reack,
        ack_deadline=row.ack_deadline,
        note=note[:300],
        published_by=actor,
        published_at=now,
    )
    badge_cache.forget_everyone()
    _audit(
        bulletin=row,
        actor=actor,
        change="revised",
        request=request,
        requires_reack=requires_reack,
        note=note[:300],
    )
    return row


@transaction.atomic
def withdraw(
    *,
    bulletin: Bulletin,
    actor: Any,
    reason: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Bulletin:
    """Take a published bulletin out of every inbox; reminders stop. Its reading record stays."""
    _check_hq_author(actor)
    row = _locked(bulletin)
    if row.status != Bulletin.Status.PUBLISHED:
        raise ValidationError(_("Only a published bulletin can be withdrawn."))
    row.status = Bulletin.Status.WITHDRAWN
    row.withdrawn_at = now or timezone.now()
    row.save(update_fields=["status", "withdrawn_at", "updated_at"])
    badge_cache.forget_everyone()
    _audit(bulletin=row, actor=actor, change="withdrawn", request=request, reason=reason[:300])
    return row


# --- people joining, leaving, changing role ------------------------------------------------------


def live_bulletins(now: dt.datetime | None = None) -> QuerySet[Bulletin]:
    """Published, not withdrawn, not past `live_until`."""
    now = now or timezone.now()
    return Bulletin.objects.filter(status=Bulletin.Status.PUBLISHED).filter(
        Q(live_until__isnull=True) | Q(live_until__gt=now)
    )


def bulletins_for_member(membership: Membership, now: dt.datetime | None = None) -> list[int]:
    """Ids of the live bulletins that reach this membership's dealer and role."""
    dealer = membership.dealer
    by_dealer = (
        Q(all_dealers=True)
        | Q(target_dealers=dealer.pk)
        | Q(target_regions=dealer.region_id)
        | (Q(target_groups=dealer.group_id) if dealer.group_id else Q(pk__in=[]))
    )
    by_role = Q(target_roles=[]) | Q(target_roles__contains=[membership.role])
    return list(
        live_bulletins(now).filter(by_dealer, by_role).values_list("pk", flat=True).distinct()
    )


def sync_member(*, membership: Membership, now: dt.datetime | None = None) -> int:
    """Bring one membership's recipient rows in line with the live bulletins: rows for the live
    bulletins that reach it now (new rows, or back from retirement with the current role), and
    the live bulletins it no longer belongs to retired (the rows stay as the record). Returns the
    number of rows created or revived."""
    now = now or timezone.now()
    membership = Membership.objects.select_related("dealer", "user").get(pk=membership.pk)
    badge_cache.forget_user(membership.user_id, membership.dealer_id)
    active = membership.is_active and membership.dealer.is_active and membership.user.is_active
    wanted = bulletins_for_member(membership, now) if active else []
    live = list(live_bulletins(now).values_list("pk", flat=True))
    with as_dealer(membership.dealer_id):
        rows = BulletinRecipient.objects.filter(user_id=membership.user_id)
        leaving = rows.filter(bulletin_id__in=live, retired_at__isnull=True).exclude(
            bulletin_id__in=wanted
        )
        left = list(leaving.values_list("bulletin_id", flat=True))
        leaving.update(retired_at=now)
        if not wanted:
            recount(bulletin_ids=left, dealer_ids=[membership.dealer_id])
            return 0
        revived = rows.filter(bulletin_id__in=wanted, retired_at__isnull=False).update(
            retired_at=None, role=membership.role
        )
        existing = set(rows.filter(bulletin_id__in=wanted).values_list("bulletin_id", flat=True))
        new = [
            BulletinRecipient(
                dealer_id=membership.dealer_id,
                bulletin_id=bulletin_id,
                user_id=membership.user_id,
                role=membership.role,
                created_at=now,
            )
            for bulletin_id in wanted
            if bulletin_id not in existing
        ]
        BulletinRecipient.objects.bulk_create(new, ignore_conflicts=True)
        changed = set(left)
        if revived or new:
            changed |= set(wanted)
        recount(bulletin_ids=sorted(changed), dealer_ids=[membership.dealer_id])
        return revived + len(new)


def on_membership_changed(sender: Any, *, membership: Membership, **kwargs: Any) -> None:
    """Receiver of dealers.signals.membership_changed (connected in BulletinsConfig.ready)."""
    sync_member(membership=membership)


# --- reading and acknowledging -------------------------------------------------------------------


def _my_rows(*, user: Any, bulletin: Bulletin, now: dt.datetime) -> QuerySet[BulletinRecipient]:
    """The user's current recipient rows for a live bulletin, in the active tenant scope (the
    dealer they work in); empty when it is not live or not targeted at them."""
    if not live_bulletins(now).filter(pk=bulletin.pk).exists():
        return BulletinRecipient.objects.none()
    return BulletinRecipient.objects.filter(
        bulletin_id=bulletin.pk, user_id=user.pk, retired_at__isnull=True
    )


@transaction.atomic
def open_bulletin(*, user: Any, bulletin: Bulletin, now: dt.datetime | None = None) -> None:
    """Record that the user has read the current version (the first opening time stays)."""
    now = now or timezone.now()
    rows = _my_rows(user=user, bulletin=bulletin, now=now)
    if not rows.exists():
        raise _not_found()
    current = Bulletin.objects.values_list("version", flat=True).get(pk=bulletin.pk)
    _first_opening(rows, bulletin_id=bulletin.pk, now=now)
    if rows.filter(opened_version__lt=current).update(
        opened_version=current, opened_at=Coalesce(F("opened_at"), Value(now))
    ):
        for dealer_id in {r.dealer_id for r in rows.only("dealer_id")}:
            badge_cache.forget_user(user.pk, dealer_id)


def _first_opening(
    rows: QuerySet[BulletinRecipient], *, bulletin_id: int, now: dt.datetime
) -> None:
    """Record the first opening time on rows never opened, and count them in the tally."""
    for dealer_id in rows.filter(opened_at__isnull=True).values_list("dealer_id", flat=True):
        if rows.filter(dealer_id=dealer_id, opened_at__isnull=True).update(opened_at=now):
            _tally_add(bulletin_id=bulletin_id, dealer_id=dealer_id, opened=1)


@transaction.atomic
def acknowledge(
    *, user: Any, bulletin: Bulletin, now: dt.datetime | None = None
) -> BulletinRecipient:
    """One click: the user confirms the version to acknowledge. Idempotent: once acknowledged,
    a second click (or a concurrent one) changes nothing and the first time stays recorded.
    Refused as not found for anyone the bulletin does not reach, and with a clear error for a
    bulletin that does not ask for acknowledgement."""
    now = now or timezone.now()
    rows = _my_rows(user=user, bulletin=bulletin, now=now)
    row = rows.first()
    if row is None:
        raise _not_found()
    # FOR SHARE: a revision (FOR UPDATE) asking to acknowledge again waits for this click and
    # vice versa, so the click counts for the round it was made in (many clicks run at once).
    current = Bulletin.objects.raw(
        f'SELECT * FROM "{Bulletin._meta.db_table}" WHERE id = %s FOR SHARE',  # noqa: S608
        [bulletin.pk],
    )[0]
    if not current.requires_ack:
        raise ValidationError(_("This bulletin does not ask for acknowledgement."))
    _first_opening(rows, bulletin_id=bulletin.pk, now=now)
    done = rows.filter(acknowledged_version__lt=current.ack_version).update(
        acknowledged_version=current.ack_version,
        acknowledged_at=now,
        opened_version=Greatest(F("opened_version"), Value(current.version)),
    )
    if done:
        _tally_add(bulletin_id=bulletin.pk, dealer_id=row.dealer_id, acknowledged=done)
        badge_cache.forget_user(user.pk, row.dealer_id)
    row.refresh_from_db()
    return row


# --- reminders and escalation (bulletins/tasks.py, every 15 minutes) ------------------------------

REMIND_BEFORE = dt.timedelta(hours=48)
ESCALATE_TO_ROLES = (DealerRole.DEALER_MANAGER,)
ESCALATE_FALLBACK_ROLES = (DealerRole.SALES_MANAGER, DealerRole.DEALER_ADMIN)


def _deadline_text(bulletin: Bulletin, zone: Any) -> str:
    deadline = bulletin.ack_deadline or timezone.now()  # always set on a bulletin that asks
    return formats.date_format(deadline.astimezone(zone), "DATETIME_FORMAT")


# Notification texts, rendered in each reader's language (bulletins.notify.deliver).
def _due_text(bulletin: Bulletin, zone: Any) -> str:
    return _("Please acknowledge “%(title)s” by %(deadline)s.") % {
        "title": bulletin.title,
        "deadline": _deadline_text(bulletin, zone),
    }


def _overdue_text(bulletin: Bulletin, zone: Any) -> str:
    return _(
        "The deadline to acknowledge “%(title)s” has passed (%(deadline)s): please acknowledge "
        "it now."
    ) % {"title": bulletin.title, "deadline": _deadline_text(bulletin, zone)}


def _escalation_text(bulletin: Bulletin, names: list[str]) -> str:
    return ngettext(
        "%(count)d colleague has not acknowledged “%(title)s” by its deadline: %(names)s",
        "%(count)d colleagues have not acknowledged “%(title)s” by its deadline: %(names)s",
        len(names),
    ) % {"count": len(names), "title": bulletin.title, "names": ", ".join(names)}


def _unacknowledged(dealer_id: int, bulletins: list[Bulletin]) -> QuerySet[BulletinRecipient]:
    """The dealer's current recipients of these bulletins who have not acknowledged the version
    each asks for (a join with the bulletin: a reference table, allowed on Citus)."""
    return BulletinRecipient.objects.filter(
        dealer_id=dealer_id,
        bulletin_id__in=[b.pk for b in bulletins],
        retired_at__isnull=True,
        acknowledged_version__lt=F("bulletin__ack_version"),
    )


def _managers(dealer_id: int) -> list[int]:
    for roles in (ESCALATE_TO_ROLES, ESCALATE_FALLBACK_ROLES):
        ids = list(
            Membership.objects.filter(
                dealer_id=dealer_id, role__in=roles, is_active=True, user__is_active=True
            )
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        if ids:
            return ids
    return []


def send_ack_reminders(*, dealer_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """For one dealer (inside its scope): remind who has not acknowledged a bulletin whose
    deadline is less than REMIND_BEFORE away, and after the deadline tell the overdue staff and
    escalate to the dealer's managers (the dealer manager; without one, the sales manager or
    dealer admin). Each recipient gets each once per acknowledgement round: rows are claimed
    with SKIP LOCKED and marked in the same transaction as the notifications."""
    now = now or timezone.now()
    asking = list(
        live_bulletins(now)
        .filter(requires_ack=True, ack_deadline__lte=now + REMIND_BEFORE)
        .order_by("ack_deadline", "pk")
    )
    if not asking:
        return {"reminded": 0, "escalated": 0}
    zone = dealer_zone(dealer_id)
    due = [b for b in asking if b.ack_deadline and b.ack_deadline > now]
    late = [b for b in asking if b.ack_deadline and b.ack_deadline <= now]
    by_pk = {b.pk: b for b in asking}
    reminded = escalated = 0
    with transaction.atomic():
        claimed = list(
            _unacknowledged(dealer_id, due)
            .filter(reminded_round__lt=F("bulletin__ack_version"))
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "bulletin_id", "user_id")
        )
        for bulletin_id, pairs in _group(claimed).items():
            b = by_pk[bulletin_id]
            deliver(
                user_ids=[u for _pk, u in pairs],
                dealer_id=dealer_id,
                kind="bulletin_ack_due",
                text=partial(_due_text, b, zone),
            )
            BulletinRecipient.objects.filter(
                dealer_id=dealer_id, pk__in=[pk for pk, _u in pairs]
            ).update(reminded_round=b.ack_version)
            reminded += len(pairs)
    with transaction.atomic():
        claimed = list(
            _unacknowledged(dealer_id, late)
            .filter(escalated_round__lt=F("bulletin__ack_version"))
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "bulletin_id", "user_id")
        )
        managers = _managers(dealer_id) if claimed else []
        names = _names({u for _pk, _b, u in claimed})
        for bulletin_id, pairs in _group(claimed).items():
            b = by_pk[bulletin_id]
            overdue = [u for _pk, u in pairs]
            deliver(
                user_ids=overdue,
                dealer_id=dealer_id,
                kind="bulletin_ack_overdue",
                text=partial(_overdue_text, b, zone),
            )
            deliver(
                user_ids=[m for m in managers if m not in overdue],
                dealer_id=dealer_id,
                kind="bulletin_ack_escalated",
                text=partial(_escalation_text, b, sorted(names[u] for u in overdue)),
            )
            BulletinRecipient.objects.filter(
                dealer_id=dealer_id, pk__in=[pk for pk, _u in pairs]
            ).update(escalated_round=b.ack_version)
            escalated += len(pairs)
    return {"reminded": reminded, "escalated": escalated}


def _group(rows: list[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    grouped: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, bulletin_id, user_id in rows:
        grouped[bulletin_id].append((pk, user_id))
    return dict(grouped)


def _names(user_ids: set[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=user_ids)
    return {u.pk: (u.get_full_name() or u.get_username()) for u in users}
