"""Bulletins (issue 14): publishing to the whole network, a user's inbox with 5,000 bulletins in
the network, and the compliance view of one bulletin over 170 dealers and 3,000 staff.

Its own database (`DMS_BENCH_DB`, default dms_bench_bulletins), built on first run as the
owner; the timings run as the runtime role (row-level security applies, as in production).

    .venv/bin/python bench/bulletins.py            # options: --runs 60 --fresh
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DMS_BENCH_DB", "dms_bench_bulletins")  # before bench.common reads it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database_url, require_runtime_role, setup_django  # noqa: E402

DEALERS, STAFF, BULLETINS = 170, 3000, 5000
ROLES = ["consultant", "sales_manager", "dealer_manager", "service_advisor", "technician",
         "parts_clerk"]  # fmt: skip


def _create_database(fresh: bool) -> None:
    import psycopg

    url = bench_database_url()
    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _build() -> None:
    """As the owner: the network, the staff, and 5,000 bulletins for dealer 1's staff."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bulletins.models import Bulletin
    from dealers.models import Dealer, DealerGroup, Membership, Region

    call_command("migrate", verbosity=0)
    if Dealer.objects.exists():
        return
    rng = random.Random(14)
    user_model = get_user_model()
    regions = Region.objects.bulk_create(
        [Region(code=f"r{i}", name=f"Region {i}") for i in range(8)]
    )
    groups = DealerGroup.objects.bulk_create([DealerGroup(name=f"Group {i}") for i in range(10)])
    dealers = Dealer.objects.bulk_create(
        [
            Dealer(
                code=f"B{i:04d}",
                name=f"Dealer {i}",
                legal_name=f"Dealer {i} GmbH",
                region=regions[i % 8],
                group=groups[i % 10] if i % 3 else None,
            )
            for i in range(DEALERS)
        ]
    )
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"staff{i}", first_name="Staff", last_name=f"No {i}")
            for i in range(STAFF)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, dealer=dealers[i % DEALERS], role=rng.choice(ROLES))
            for i, u in enumerate(users)
        ]
    )
    user_model.objects.create(username="bench_hq", hq_role="hq_admin")
    author = user_model.objects.get(username="bench_hq")
    now = timezone.now()
    inbox = Bulletin.objects.bulk_create(
        [
            Bulletin(
                title=f"Inbox {i}",
                body="<p>text</p>",
                category="technical",
                status="published",
                published_at=now,
                requires_ack=i % 4 == 0,
                ack_deadline=now + dt.timedelta(days=i % 30 - 5) if i % 4 == 0 else None,
                all_dealers=True,
                author=author,
            )
            for i in range(BULLETINS)
        ]
    )
    # Every one of them reaches dealer B0000's staff (the worst inbox); the superuser owner
    # writes past RLS here, the timed part runs as the runtime role.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bulletins_bulletinrecipient (dealer_id, bulletin_id, user_id, role,"
            " created_at, opened_version, acknowledged_version, reminded_round, escalated_round)"
            " SELECT m.dealer_id, b.id, m.user_id, m.role, %s - b.id * interval '1 minute',"
            " (b.id %% 2), 0, 0, 0"
            " FROM bulletins_bulletin b CROSS JOIN dealers_membership m"
            " WHERE b.id = ANY(%s) AND m.dealer_id = %s",
            [now, [b.pk for b in inbox], dealers[0].pk],
        )
    # What autovacuum does soon after: the visibility map lets the counts read the index only.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _timed(label: str, runs: int, call: Callable[[], Any]) -> None:
    call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    print(f"  {label:<52} p50 {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


def _measure(runs: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from bulletins import selectors, services
    from bulletins.models import Bulletin, BulletinRecipient
    from dealers.models import Dealer, Membership
    from dealers.selectors import access_for
    from dms.tenancy.context import as_dealer, as_dealers

    require_runtime_role()
    hq = get_user_model().objects.get(username="bench_hq")
    first = Dealer.objects.order_by("code").first()
    assert first is not None
    reader = Membership.objects.filter(dealer=first).order_by("user_id").first()
    assert reader is not None
    with as_dealer(first):
        mine = BulletinRecipient.objects.filter(user_id=reader.user_id).count()
    print(f"reader {reader.user_id} at {first.code}: {mine} bulletins in the inbox")

    # Publishing to the whole network (rolled back each time, so the figures stay comparable).
    def publish() -> None:
        with transaction.atomic():
            draft = services.create_draft(
                actor=hq,
                title="Network",
                category="process",
                requires_ack=True,
                ack_deadline=timezone.now() + dt.timedelta(days=7),
                all_dealers=True,
            )
            services.publish(bulletin=draft, actor=hq)
            transaction.set_rollback(True)

    _timed(
        f"publish to the network ({STAFF} staff, {DEALERS} dealers)", max(3, runs // 10), publish
    )

    # A bulletin to the whole network, 60 % acknowledged, past its deadline.
    network = Bulletin.objects.filter(title="Compliance").first()
    if network is None:
        with transaction.atomic():
            network = services.create_draft(
                actor=hq,
                title="Compliance",
                category="process",
                requires_ack=True,
                ack_deadline=timezone.now() + dt.timedelta(seconds=5),
                all_dealers=True,
            )
            services.publish(bulletin=network, actor=hq)
        with as_dealers(Dealer.objects.all(), write=True), transaction.atomic():
            BulletinRecipient.objects.filter(
                pk__in=BulletinRecipient.objects.filter(bulletin=network)
                .order_by("pk")
                .values("pk")[: int(STAFF * 0.6)]
            ).update(acknowledged_version=1, acknowledged_at=timezone.now())
        time.sleep(6)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE bulletins_bulletinrecipient")

    def inbox_page() -> None:
        with as_dealer(first), transaction.atomic():
            list(selectors.inbox(user=reader.user)[:25])
            selectors.inbox_counts(user=reader.user)

    _timed("inbox: first 25 rows + counts (5,000 bulletins)", runs, inbox_page)

    access = access_for(hq)

    def counted_under_rls() -> None:
        # What the figures cost before the tally: count the reading records per dealer under
        # the 170 dealers' RLS policy (kept here for the comparison, same run, same data).
        from django.db.models import Count, Q

        with as_dealers(access.dealer_ids), transaction.atomic():
            rows = list(
                BulletinRecipient.objects.filter(
                    bulletin_id=network.pk, dealer_id__in=access.dealer_ids, retired_at__isnull=True
                )
                .values("dealer_id")
                .order_by("dealer_id")
                .annotate(
                    n=Count("pk"),
                    opened=Count("pk", filter=Q(opened_at__isnull=False)),
                    acked=Count("pk", filter=Q(acknowledged_version__gte=network.ack_version)),
                )
            )
            assert sum(r["n"] for r in rows) == STAFF

    def tally() -> None:
        from bulletins.models import BulletinTally

        rows = list(
            BulletinTally.objects.filter(
                bulletin_id=network.pk, dealer_id__in=access.dealer_ids
            ).values_list("dealer_id", "recipients", "opened", "acknowledged")
        )
        assert sum(r[1] for r in rows) == STAFF

    _timed("figures per dealer: counting under RLS (before)", runs, counted_under_rls)
    _timed("figures per dealer: the tally (after)", runs, tally)

    def compliance() -> None:
        with as_dealers(access.dealer_ids), transaction.atomic():
            view = selectors.compliance(access=access, bulletin_id=network.pk, people_limit=200)
            assert view.total.recipients == STAFF

    _timed(f"compliance: 1 bulletin, {DEALERS} dealers, {STAFF} staff", runs, compliance)

    # The pages, through Django's WSGI handler as a server runs them (bench.funnel_pages).
    from django.urls import reverse

    from bench.funnel_pages import client_for
    from bulletins.badges import inbox_badge
    from dms import navigation

    staff_client = client_for(reader.user)
    hq_client = client_for(hq)
    inbox_url = reverse("bulletins:inbox")
    compliance_url = reverse("bulletins:compliance", args=[network.pk])
    dashboard_url = reverse("dashboard")
    for client, url in ((staff_client, inbox_url), (hq_client, compliance_url)):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    _timed("page: inbox (5,000 bulletins), HTML", runs, lambda: staff_client.get(inbox_url))
    _timed("page: compliance (170 dealers, 3,000 staff), HTML", runs,
           lambda: hq_client.get(compliance_url))  # fmt: skip

    class Request:
        user = reader.user
        access = access_for(reader.user, first.pk)

    def badge() -> None:
        with as_dealer(first), transaction.atomic():
            inbox_badge(Request())  # type: ignore[arg-type]

    from django.core.cache import cache

    from bulletins import badge_cache

    def badge_miss() -> None:
        cache.delete(badge_cache.user_key(reader.user_id, first.pk))
        badge()

    _timed("menu badge: the provider, cached counts", runs, badge)
    _timed("menu badge: the provider, cache miss (one query)", runs, badge_miss)
    _timed("page: dashboard of the reader, with the badge", runs,
           lambda: staff_client.get(dashboard_url))  # fmt: skip
    provider = navigation.BADGES.pop("bulletins")
    try:
        _timed("page: dashboard of the reader, without the badge", runs,
               lambda: staff_client.get(dashboard_url))  # fmt: skip
    finally:
        navigation.register_badge("bulletins", provider)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    _create_database(args.fresh)
    setup_django(owner=True)
    _build()
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["USER"] = settings.APP_DB_USER
    connections["default"].settings_dict["PASSWORD"] = settings.APP_DB_PASSWORD
    _measure(args.runs)


if __name__ == "__main__":
    main()
