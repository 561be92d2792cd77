"""Bench: reassign 5,000 customers (with their open leads and follow-ups) in one batch.

    DMS_BENCH_DB=dms_bench_small .venv/bin/python bench/reassign.py [--customers 5000] [--keep]

Runs as the runtime role (RLS on, as in production) against the bench database made by
bench/generate.py. In the biggest dealer it gives one consultant a book of N customers (their
open leads and open follow-ups too; set-up, not timed), plans a round-robin batch to the other
active consultants (the preview, timed), then applies it (timed; target <= 2 s) and counts the
SQL statements of the apply by kind. Everything runs in one outer transaction that is rolled
back at the end unless --keep, so the bench database is unchanged and the bench can be rerun.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BENCH_DB, setup_django


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="commit instead of rolling back")
    args = parser.parse_args()
    setup_django(owner=False)

    from django.db import connection, transaction
    from django.urls import reverse

    from dealers.handover import selectors, services
    from dealers.models import Dealer, Membership
    from dms.tenancy.context import as_dealer
    from leads.models import Customer, FollowUp, Lead

    print(f"bench database: {BENCH_DB}")
    sizes = []
    for dealer in Dealer.objects.filter(is_active=True):
        with as_dealer(dealer), transaction.atomic():
            sizes.append((Customer.objects.count(), dealer.pk))
    count, dealer_id = max(sizes)
    dealer = Dealer.objects.get(pk=dealer_id)
    print(f"dealer {dealer.code}: {count} customers")
    if count < args.customers:
        sys.exit(f"the biggest dealer has only {count} customers; generate a bigger network")

    try:
        with as_dealer(dealer), transaction.atomic():
            receivers = selectors.receiving_memberships(dealer=dealer)
            if len(receivers) < 2:
                sys.exit("need at least two active consultants at the dealer")
            departing = receivers[0].user
            targets = [m.user for m in receivers[1:]]
            manager = (
                Membership.objects.filter(dealer=dealer, role="dealer_manager", is_active=True)
                .select_related("user")
                .first()
            )
            actor = manager.user if manager else None
            t0 = time.perf_counter()
            ids = list(
                Customer.objects.order_by("pk").values_list("pk", flat=True)[: args.customers]
            )
            Customer.objects.exclude(pk__in=ids).filter(owner=departing).update(owner=targets[0])
            Lead.objects.exclude(customer_id__in=ids).filter(
                consultant=departing, is_open=True
            ).update(consultant=targets[0])
            FollowUp.objects.exclude(customer_id__in=ids).filter(
                owner=departing, done_at__isnull=True
            ).update(owner=targets[0])
            Customer.objects.filter(pk__in=ids).update(owner=departing)
            leads = Lead.objects.filter(customer_id__in=ids, is_open=True).update(
                consultant=departing
            )
            follow_ups = FollowUp.objects.filter(customer_id__in=ids, done_at__isnull=True).update(
                owner=departing
            )
            print(
                f"set-up: {departing.username} holds {len(ids)} customers, {leads} open leads, "
                f"{follow_ups} open follow-ups; {len(targets)} colleagues receive "
                f"({time.perf_counter() - t0:.2f} s, not timed)"
            )

            t0 = time.perf_counter()
            batch = services.plan_batch(
                dealer=dealer, from_user=departing, actor=actor, targets=targets
            )
            print(f"  preview (plan_batch)                 {time.perf_counter() - t0:8.2f} s")

            reverse("leads:my_day")  # load the URLconf first, as a running server has
            statements: list[str] = []

            timings: list[tuple[float, str]] = []

            def observe(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                statements.append(sql)
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    timings.append((time.perf_counter() - start, sql))

            with connection.execute_wrapper(observe):
                t0 = time.perf_counter()
                if os.environ.get("BENCH_PROFILE"):
                    import cProfile
                    import pstats

                    profile = cProfile.Profile()
                    applied = profile.runcall(services.apply_batch, batch=batch, actor=actor)
                    pstats.Stats(profile).sort_stats("tottime").print_stats(12)
                else:
                    applied = services.apply_batch(batch=batch, actor=actor)
                elapsed = time.perf_counter() - t0
            kinds = Counter(sql.split(None, 1)[0].upper() for sql in statements)
            updates = Counter(sql.split('"')[1] for sql in statements if sql.startswith("UPDATE"))
            print(f"  apply (apply_batch)                  {elapsed:8.2f} s  (target <= 2 s)")
            print(f"  moved: {applied.counts}")
            print(f"  statements: {dict(kinds)}")
            print(f"  UPDATE statements: {sum(updates.values())} {dict(updates)}")
            in_sql = sum(t for t, _sql in timings)
            print(f"  of which waiting for SQL             {in_sql:8.2f} s; slowest:")
            for t, sql in sorted(timings, reverse=True)[:4]:
                print(f"    {t:6.3f} s  {sql[:110]}")
            print(f"  receivers: {len(targets)} (one UPDATE per table per receiver)")
            print("  result:", "OK" if elapsed <= 2.0 else "TOO SLOW")
            if not args.keep:
                raise Rollback
    except Rollback:
        print("rolled back (run with --keep to commit)")


if __name__ == "__main__":
    main()
