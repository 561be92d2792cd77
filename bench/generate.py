"""Generate the bench network: 170 dealers, >= 1M customers, >= 2M leads (COPY, per dealer).

    .venv/bin/python bench/generate.py [--dealers 170] [--customers 1000000] [--seed 7] [--fresh]
                                       [--jobs 2]

Creates (or recreates with --fresh) the `dms_bench` database on the project's PostgreSQL server,
migrates it as the owner (the migrate run also grants the runtime role), and fills it. Prints how
long each part took.

How it stays fast: rows are rendered as COPY text in Python and written in ~1 MB chunks; the
secondary indexes of the bulk tables are dropped for the load and built once at the end; the
per-row foreign-key triggers are off during the load (session_replication_role = replica; the
generator writes consistent ids itself); dealers are filled by `--jobs` worker processes, each
with its own connection and its own deterministic random stream per dealer.

Data shape per dealer (a lognormal spread of sizes: a few big dealers, many small ones):
customers with 1-3 leads each; open leads are recent (each stage its age range), closed ones
(delivered, lost, dormant) spread over two years; stage changes for every step a lead took;
an open grade or first-response follow-up per open lead (overdue ones included), after-delivery
calls; walk-in visits; quotes and orders for leads that got that far; demo vehicles with test
drives (past done, upcoming booked, no overlaps); lost requests, discounts and ownership claims
waiting for the sales manager; stale open leads and lost/dormant leads in the dealer's pool.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import time
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BASE_DIR, BENCH_DB, bench_database_url, copy_text, reset_sequence, timed

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hugo",
    "Ida",
    "Jonas",
    "Klara",
    "Leon",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tina",
    "Udo",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Braun",
]
# Stage reached by a lead (funnel order) and how often, then closed outcomes.
# Two years of history: most leads are closed; about a quarter are open now.
STAGE_MIX = [
    ("new", 4),
    ("contacted", 6),
    ("visited", 6),
    ("test_drive", 4),
    ("quote", 4),
    ("order", 3),
    ("delivered", 22),
    ("lost", 38),
    ("dormant", 13),
]
FUNNEL = ["new", "contacted", "visited", "test_drive", "quote", "order", "delivered"]
# Age of a lead (days) by the stage it is at: open leads are recent, closed ones spread out.
AGE_DAYS = {
    "new": (0, 3),
    "contacted": (1, 60),
    "visited": (2, 90),
    "test_drive": (3, 90),
    "quote": (4, 120),
    "order": (10, 150),
    "delivered": (20, 730),
    "lost": (10, 730),
    "dormant": (30, 730),
}
GRADES = "HABC"
CADENCE = {"H": 2, "A": 3, "B": 7, "C": 14, "": 14}
POOL_AFTER_DAYS = 30
SLOTS = [(10, 0), (13, 0), (16, 0)]  # test-drive slots (local time), one hour each

# Tables the generator fills. Their secondary indexes (not primary keys, not the unique
# constraints composite foreign keys point at) are dropped for the load and built again after it:
# building an index once is far cheaper than maintaining it row by row.
BULK_TABLES = [
    "leads_customer",
    "leads_lead",
    "leads_stagechange",
    "leads_followup",
    "leads_visit",
    "leads_ownershipclaim",
    "sales_quote",
    "sales_order",
    "sales_demovehicle",
    "sales_testdrive",
]
COUNT_KEYS = [
    "customers",
    "leads",
    "stage changes",
    "follow-ups",
    "visits",
    "quotes",
    "orders",
    "demo vehicles",
    "test drives",
    "claims",
]


def create_database(fresh: bool) -> None:
    import dj_database_url
    import psycopg

    url = bench_database_url()  # starts the embedded server when there is no DATABASE_URL
    cfg = dj_database_url.parse(url.rsplit("/", 1)[0] + "/postgres")
    conn = psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [BENCH_DB]).fetchone()
    if exists and fresh:
        conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
        exists = None
    if not exists:
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    conn.close()


def migrate() -> None:
    import os

    env = {**os.environ, "DATABASE_URL": bench_database_url(), "DMS_TESTING": "1"}
    subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--verbosity", "0"],
        check=True,
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dealers", type=int, default=170)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--leads-per-customer",
        type=float,
        default=2.0,
        help="average (each customer has 1..2x-1 leads)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes filling dealers")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    results: dict[str, float] = {}
    t0 = time.perf_counter()
    print(f"bench database: {BENCH_DB}")
    with timed("create database", results):
        create_database(args.fresh)
    with timed("migrate (+ runtime role grants)", results):
        migrate()

    from bench.common import setup_django

    setup_django(owner=True)
    from django.db import connection, transaction
    from django.utils import timezone

    from dealers.models import Dealer

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_customer")
        if cursor.fetchone()[0] and not args.fresh:
            print("bench data already present (use --fresh to regenerate)")
            return
    rng = random.Random(args.seed)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic(), timed("network (regions, dealers, staff)", results):
        network = build_network(rng, args.dealers)
    ref = reference_data()
    weights = [rng.lognormvariate(0, 0.6) for _ in network["dealers"]]
    scale = args.customers / sum(weights)
    sizes = [max(50, int(w * scale)) for w in weights]
    sizes[weights.index(max(weights))] += max(0, args.customers - sum(sizes))  # exact total
    slots = max(3, round(2 * args.leads_per_customer - 1))
    specs = []
    cid_base = 0
    for index, dealer in enumerate(network["dealers"]):
        n_customers = sizes[index]
        specs.append(
            {
                "index": index,
                "dealer_id": dealer.pk,
                "timezone": dealer.timezone,
                "staff": network["staff"][dealer.pk],
                "n_customers": n_customers,
                "cid_base": cid_base,
                "lead_slots": slots,
                "lpc": args.leads_per_customer,
                "seed": args.seed,
                "now": now,
                "ref": ref,
            }
        )
        cid_base += n_customers

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    with timed("drop secondary indexes", results):
        index_defs = drop_secondary_indexes(BULK_TABLES)
    connection.close()  # the workers open their own connections

    counts = dict.fromkeys(COUNT_KEYS, 0)
    start = time.perf_counter()
    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(args.jobs, initializer=_init_worker) as pool:
            for done, part in enumerate(pool.imap_unordered(fill_dealer_job, specs), start=1):
                _add(counts, part)
                _progress(done, len(specs), counts, start)
    else:
        _init_worker()
        for done, spec in enumerate(specs, start=1):
            _add(counts, fill_dealer_job(spec))
            _progress(done, len(specs), counts, start)
    results["tenant rows (COPY)"] = time.perf_counter() - start
    print(f"  {'tenant rows (COPY)':<38} {results['tenant rows (COPY)']:8.2f} s", flush=True)

    from leads.models import Customer, FollowUp, Lead, OwnershipClaim, StageChange, Visit
    from sales.models import DemoVehicle, Order, Quote, TestDrive

    with timed(f"rebuild {len(index_defs)} indexes", results):
        rebuild_indexes(index_defs, jobs=args.jobs)
    for model in (
        Customer,
        Lead,
        StageChange,
        FollowUp,
        Visit,
        Quote,
        Order,
        DemoVehicle,
        TestDrive,
        OwnershipClaim,
    ):
        reset_sequence(model)
    with connection.cursor() as cursor:
        # The rows above were COPYed as the owner, without marking their KPI days
        # (dms.kpi.dirty marks writes made through the ORM or its mark_*() functions):
        # they are history, not late changes, and bench/rollup.py times the full rollup over it.
        # No mark is wanted; none left from an earlier network either.
        cursor.execute("TRUNCATE reports_kpidirtyday")
    with timed("VACUUM (ANALYZE)", results), connection.cursor() as cursor:
        # Statistics and the visibility map, as autovacuum keeps them in production (it is off on
        # the CI machines): without the map, index-only scans read the heap and the pages' SQL
        # was up to half again slower right after generating.
        cursor.execute("VACUUM (ANALYZE)")
    print()
    for key, value in counts.items():
        print(f"  {key:<16} {value:>12,}")
    total = time.perf_counter() - t0
    print(
        f"\nGENERATED {counts['customers']:,} customers, {counts['leads']:,} leads "
        f"for {Dealer.objects.count()} dealers in {total:.1f} s "
        f"(tenant rows {results['tenant rows (COPY)']:.1f} s, "
        f"indexes {results[f'rebuild {len(index_defs)} indexes']:.1f} s, jobs {args.jobs})"
    )


def _add(counts: dict[str, int], part: dict[str, int]) -> None:
    for key, value in part.items():
        counts[key] += value


def _progress(done: int, total: int, counts: dict[str, int], start: float) -> None:
    if done % 17 == 0 or done == total:
        print(
            f"  … dealer {done}/{total}: {counts['customers']:,} customers, "
            f"{counts['leads']:,} leads ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


def _init_worker() -> None:
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:
        # Bulk load: the generator writes consistent data, so skip the per-row FK triggers (a
        # standard PostgreSQL bulk-load setting, superuser only; the bench database is ours).
        cursor.execute("SET session_replication_role = replica")


def drop_secondary_indexes(tables: list[str]) -> list[str]:
    """Drop the plain (non-constraint) indexes of `tables`; return their definitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ci.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class ci ON ci.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY t.relname, ci.relname
            """,
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _build_index(definition: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(definition)


def rebuild_indexes(definitions: list[str], *, jobs: int = 1) -> None:
    """CREATE INDEX again, `jobs` at a time (each on its own connection), biggest tables first."""
    from django.db import connection

    order = [
        "leads_stagechange",
        "leads_lead",
        "leads_customer",
        "leads_visit",
        "leads_followup",
        "sales_quote",
        "sales_order",
    ]
    definitions = sorted(
        definitions,
        key=lambda d: next(
            (i for i, t in enumerate(order) if f" {t} " in d or f'"{t}"' in d), len(order)
        ),
    )
    if jobs <= 1:
        for definition in definitions:
            _build_index(definition)
        return
    import multiprocessing

    connection.close()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pool.map(_build_index, definitions, chunksize=1)


def reference_data() -> dict:
    """HQ reference rows the data needs (the project's data migration usually made them)."""
    from django.utils import timezone

    from bulletins.models import PriceList, PriceListVersion, VehiclePrice
    from inventory.models import Trim, VehicleModel
    from leads.models import LeadSource, LostReason

    domain = BASE_DIR / "leads" / "reference"
    if not (domain / "lead_sources.json").exists():
        domain = BASE_DIR.parent / "shared" / "domain"
    sources = json.loads((domain / "lead_sources.json").read_text())["lead_sources"]
    for s in sources:
        LeadSource.objects.get_or_create(code=s["code"], defaults={"name": s["name"]})
    reasons = json.loads((domain / "lost_reasons.json").read_text())["lost_reasons"]
    for r in reasons:
        LostReason.objects.get_or_create(code=r["code"], defaults={"name": r["name"]})
    catalogue = json.loads((domain / "catalogue.json").read_text())
    for m in catalogue["models"]:
        vm, _ = VehicleModel.objects.get_or_create(code=m["code"], defaults={"name": m["name"]})
        for t in m["trims"]:
            Trim.objects.get_or_create(
                code=t["code"], defaults={"name": t["name"], "vehicle_model": vm}
            )
    version = (
        PriceListVersion.objects.filter(price_list__kind="vehicle", status="published")
        .select_related("price_list")
        .order_by("-valid_from")
        .first()
    )
    if version is None:
        plist, _ = PriceList.objects.get_or_create(
            name="Vehicles", defaults={"kind": "vehicle", "currency": "EUR"}
        )
        version = PriceListVersion.objects.create(
            price_list=plist,
            number=(plist.versions.count() + 1),
            status="published",
            valid_from=dt.date(2020, 1, 1),
            published_at=timezone.now(),
        )
    prices = dict(
        VehiclePrice.objects.filter(version=version, kind="trim").values_list("code", "price")
    )
    trims = [
        (t.pk, t.vehicle_model_id, str(prices.get(t.code, Decimal("25000.00"))))
        for t in Trim.objects.order_by("code")
    ]
    return {
        "source_ids": list(LeadSource.objects.order_by("code").values_list("id", flat=True)),
        "model_ids": sorted({t[1] for t in trims}),
        "trims": trims,
        "lost_reason_ids": list(LostReason.objects.order_by("code").values_list("id", flat=True)),
        "price_version_id": version.pk,
        "currency": version.price_list.currency,
    }


def build_network(rng: random.Random, n_dealers: int) -> dict:
    from dealers.models import Dealer, Membership, Region
    from dms.accounts.models import User

    regions = [
        Region.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Bench region {i}"})[0]
        for i in range(1, 7)
    ]
    dealers = Dealer.objects.bulk_create(
        [
            Dealer(
                code=f"B{i:04d}",
                name=f"Bench Motors {i}",
                legal_name=f"Bench Motors {i} GmbH",
                region=regions[i % len(regions)],
                city="Berlin",
            )
            for i in range(1, n_dealers + 1)
        ]
    )
    users, memberships, staff = [], [], {}
    for dealer in dealers:
        n_consultants = rng.randint(4, 12)
        roles = ["consultant"] * n_consultants + ["sales_manager", "dealer_manager"]
        for k, role in enumerate(roles):
            users.append(
                User(
                    username=f"{dealer.code.lower()}-{role}-{k}",
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    password="!",  # noqa: S106 - unusable password marker
                    email="",
                )
            )
            memberships.append((dealer, role))
    users = User.objects.bulk_create(users, batch_size=2000)
    Membership.objects.bulk_create(
        [
            Membership(user=u, dealer=d, role=r)
            for u, (d, r) in zip(users, memberships, strict=True)
        ],
        batch_size=2000,
    )
    for u, (d, r) in zip(users, memberships, strict=True):
        entry = staff.setdefault(d.pk, {"consultants": [], "managers": []})
        entry["consultants" if r == "consultant" else "managers"].append(u.pk)
    return {"dealers": dealers, "staff": staff}


def fill_dealer_job(spec: dict[str, Any]) -> dict[str, int]:
    from django.db import transaction

    with transaction.atomic():
        return fill_dealer(spec)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ")


def fill_dealer(spec: dict[str, Any]) -> dict[str, int]:  # noqa: C901 - one linear recipe
    """Render one dealer's rows as COPY text and load them. Ids are derived from the customer
    number (lead id = slot of its customer, quote id = its lead id), so workers never collide."""
    from leads.models import Customer, FollowUp, Lead, OwnershipClaim, StageChange, Visit
    from sales.models import DemoVehicle, NumberSeries, Order, Quote, TestDrive

    rng = random.Random(f"{spec['seed']}-{spec['index']}")
    r = rng.random
    did = spec["dealer_id"]
    ds = str(did)
    now: dt.datetime = spec["now"]
    ref = spec["ref"]
    consultants: list[int] = spec["staff"]["consultants"]
    manager = spec["staff"]["managers"][0]
    sources, models_, trims = ref["source_ids"], ref["model_ids"], ref["trims"]
    reasons = ref["lost_reason_ids"]
    stages = [s for s, _ in STAGE_MIX]
    cum = []
    acc = 0
    for _, w in STAGE_MIX:
        acc += w
        cum.append(acc)
    total_w = acc
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    slots, lpc = spec["lead_slots"], spec["lpc"]
    max_leads = max(1, round(2 * lpc - 1))
    pool_cutoff = now - POOL_AFTER_DAYS * day

    customers: list[str] = []
    leads: list[str] = []
    changes: list[str] = []
    follow_ups: list[str] = []
    visits: list[str] = []
    quotes: list[str] = []
    orders: list[str] = []
    claims: list[str] = []
    drive_candidates: list[tuple[int, int, int]] = []  # (lead id, customer id, consultant)
    n_leads_total = 0
    # Leads per customer: 1..max_leads, exactly ceil(n * lpc) in all (the totals are promised).
    n = spec["n_customers"]
    per_customer = [1 + (i % max_leads) for i in range(n)]
    diff = -(-int(n * lpc * 1000) // 1000) - sum(per_customer)
    i = 0
    while diff and i < 10 * n:
        k = i % n
        if diff > 0 and per_customer[k] < max_leads:
            per_customer[k] += 1
            diff -= 1
        elif diff < 0 and per_customer[k] > 1:
            per_customer[k] -= 1
            diff += 1
        i += 1
    rng.shuffle(per_customer)

    for i in range(n):
        cid = spec["cid_base"] + i + 1
        owner = consultants[int(r() * len(consultants))]
        n_leads = per_customer[i]
        lead_rows = []
        first_created = now
        for k in range(n_leads):
            lead_id = (cid - 1) * slots + k + 1
            x = r() * total_w
            s_index = 0
            while cum[s_index] < x:
                s_index += 1
            stage = stages[s_index]
            lo, hi = AGE_DAYS[stage]
            created = now - (lo + r() * (hi - lo)) * day - r() * hour
            first_created = min(first_created, created)
            closed = stage in ("delivered", "lost", "dormant")
            reached = FUNNEL.index(stage) if stage in FUNNEL else int(r() * 4)
            # Stage moves spread between creation and now (closed leads: within ~2 months).
            span = (now - created) if not closed else min(now - created, 60 * day)
            span = span * (0.3 + 0.6 * r())
            step_times = [
                created + span * ((step + r()) / max(1, reached)) for step in range(reached)
            ]
            if closed:
                closed_at = (step_times[-1] if step_times else created) + (1 + 20 * r()) * day
                closed_at = min(closed_at, now - hour)
                last_activity = closed_at
            else:
                closed_at = None
                # Most open leads were worked recently; some go stale (the stale list, the pool).
                recent = step_times[-1] if step_times else created
                last_activity = max(recent, now - r() * 12 * day) if r() < 0.85 else recent
            grade = "O" if stage in ("order", "delivered") else GRADES[int(r() * 4)]
            if stage == "new":
                grade = "" if r() < 0.7 else grade
            source = sources[int(r() * len(sources))]
            model = models_[int(r() * len(models_))]
            responded = stage != "new" or r() < 0.5
            first_response_at = (
                created + (5 + r() * 240) * dt.timedelta(minutes=1) if responded else None
            )
            if first_response_at is not None and first_response_at > now:
                first_response_at = now
            if first_response_at is None:
                last_activity = None  # nobody has talked to the customer yet
            in_pool = False
            pooled_at = None
            lost_req = ""
            if not closed and stage != "order" and last_activity and last_activity < pool_cutoff:
                in_pool, pooled_at = True, last_activity + (POOL_AFTER_DAYS + 1) * day
            elif stage in ("lost", "dormant") and closed_at is not None and closed_at < pool_cutoff:
                in_pool, pooled_at = True, closed_at + (POOL_AFTER_DAYS + 1) * day
            if pooled_at is not None and pooled_at > now:
                pooled_at = now
            lost_reason = r"\N"
            lost_requested_at = r"\N"
            lost_requested_by = r"\N"
            if stage == "lost":
                lost_reason = str(reasons[int(r() * len(reasons))])
                lost_requested_by = str(owner)
            elif (
                not closed
                and not in_pool
                and stage not in ("new", "order")
                and r() < 0.01
                and last_activity
                and last_activity > now - 5 * day
            ):
                # waiting for the sales manager: a lost request on an open lead
                lost_reason = str(reasons[int(r() * len(reasons))])
                lost_req = _iso(last_activity or created)
                lost_requested_at, lost_requested_by = lost_req, str(owner)
            leads.append(
                "\t".join(
                    (
                        str(lead_id),
                        ds,
                        str(cid),
                        str(owner),
                        str(owner) if stage == "delivered" else r"\N",
                        str(source),
                        str(model),
                        stage,
                        grade,
                        "f" if closed else "t",
                        "t" if in_pool else "f",
                        _iso(pooled_at) if pooled_at else r"\N",
                        _iso(created),
                        _iso(created),
                        _iso(created + hour),
                        _iso(first_response_at) if first_response_at else r"\N",
                        _iso(last_activity) if last_activity else r"\N",
                        _iso(closed_at) if closed_at else r"\N",
                        lost_reason,
                        lost_requested_at,
                        lost_requested_by,
                    )
                )
            )
            lead_rows.append(lead_id)
            n_leads_total += 1
            # stage history
            # (changed_by, then consultant: the KPI credit snapshot, the lead's owner)
            changes.append(f"{ds}\t{lead_id}\t\tnew\t{_iso(created)}\t{owner}\t{owner}")
            for step, when in enumerate(step_times, start=1):
                changes.append(
                    f"{ds}\t{lead_id}\t{FUNNEL[step - 1]}\t{FUNNEL[step]}\t{_iso(when)}\t"
                    f"{owner}\t{owner}"
                )
            if stage in ("lost", "dormant"):
                by = manager if stage == "lost" else owner
                changes.append(
                    f"{ds}\t{lead_id}\t{FUNNEL[reached]}\t{stage}\t{_iso(closed_at)}\t{by}\t{owner}"
                )
            # open follow-ups: first response for untouched leads, the grade cadence otherwise
            if not closed and not in_pool and stage != "order" and not lost_req:
                if first_response_at is None:
                    follow_ups.append(
                        f"{ds}\t{lead_id}\t{cid}\t{owner}\tfirst_response\t{_iso(created + hour)}"
                    )
                else:
                    due = (last_activity or created) + CADENCE[grade] * day
                    follow_ups.append(f"{ds}\t{lead_id}\t{cid}\t{owner}\tcadence\t{_iso(due)}")
            if stage == "delivered" and closed_at is not None and closed_at > now - 40 * day:
                for days in (3, 30):
                    due = closed_at + days * day
                    done = _iso(due) if due < now - day else r"\N"
                    follow_ups.append(
                        f"{ds}\t{lead_id}\t{cid}\t{owner}\tafter_delivery\t{_iso(due)}\t{done}"
                    )
            # visitor log: the showroom visit that made the lead "visited"
            if reached >= 2 and created > now - 180 * day:
                arrived = step_times[1]
                left = arrived + (15 + r() * 75) * dt.timedelta(minutes=1)
                visits.append(
                    f"{ds}\twalk_in\t{cid}\t{lead_id}\t{owner}\t{source}\t{model}\t"
                    f"{1 + int(r() * 3)}\t{_iso(arrived)}\t{_iso(left)}\tinfo"
                )
            if 3 <= reached <= 4 and not closed:
                drive_candidates.append((lead_id, cid, owner))
            # quotes and orders
            if reached >= 4:
                trim_id, _model_id, price = trims[int(r() * len(trims))]
                quote_at = step_times[3]
                if stage == "quote":
                    pending = quote_at > now - 5 * day and r() < 0.3
                    status = "draft" if pending else "sent"
                    discount = "2500.00" if pending else "0"
                    d_status = "pending" if pending else "none"
                else:
                    status, discount, d_status = "accepted", "0", "none"
                total = Decimal(price) - Decimal(discount)
                quotes.append(
                    f"{lead_id}\t{ds}\t{lead_id}\t{cid}\t1\t{status}\t"
                    f"{ref['price_version_id']}\t{trim_id}\t{price}\t{discount}\t"
                    f"{d_status}\t{total}\t{owner}\t{_iso(quote_at)}\t"
                    f"{_iso(quote_at) if status != 'draft' else chr(92) + 'N'}"
                )
                if reached >= 5:
                    ordered_at = step_times[4]
                    delivered = stage == "delivered"
                    expected = (
                        closed_at.date()
                        if delivered and closed_at
                        else (now + (r() * 60 - 3) * day).date()
                    )
                    orders.append(  # numbered per dealer (sales.numbering), as generated
                        f"{ds}\t{len(orders) + 1}\t{lead_id}\t{lead_id}\t{cid}\t{owner}\t"
                        f"{'delivered' if delivered else 'open'}\t{total}\t1000.00\t"
                        f"{expected.isoformat()}\t{_iso(ordered_at)}\t"
                        f"{_iso(closed_at) if delivered and closed_at else chr(92) + 'N'}"
                    )
        created_c = first_created - r() * day
        customers.append(
            f"{cid}\t{ds}\t{FIRST[int(r() * 20)]}\t{LAST[int(r() * 16)]}\t"
            f"+49151{cid:08d}\tc{cid}@example.net\t{owner}\t{_iso(created_c)}\t"
            f"{_iso(created_c)}\t{_iso(now)}"
        )
        # a colleague asks to take over a few customers (pending claims)
        if r() < 0.002 and len(consultants) > 1:
            claimant = consultants[(consultants.index(owner) + 1) % len(consultants)]
            claims.append(
                f"{ds}\t{cid}\t{claimant}\t{owner}\tKnows the customer from an event\t"
                f"pending\t{_iso(now - r() * 3 * day)}"
            )

    # demo vehicles with test drives: three one-hour slots a day per vehicle, 60 days back and
    # 7 ahead; past ones done (km out/in), upcoming ones booked; fixed slots cannot overlap.
    tz = zoneinfo.ZoneInfo(spec["timezone"] or "Europe/Berlin")
    today = now.astimezone(tz).date()
    n_vehicles = 2 + len(consultants) // 2
    vehicle_base = spec["index"] * 1000
    vehicles, drives = [], []
    if drive_candidates:
        for v in range(n_vehicles):
            vid = vehicle_base + v + 1
            trim_id, model_id, _price = trims[(spec["index"] + v) % len(trims)]
            odometer = 1000 + int(r() * 3000)
            drive_rows = []
            for offset in range(-60, 8):
                on = today + dt.timedelta(days=offset)
                if on.weekday() == 6:
                    continue
                for hh, mm in SLOTS:
                    if r() > 0.45:
                        continue
                    start = dt.datetime(on.year, on.month, on.day, hh, mm, tzinfo=tz)
                    end = start + hour
                    lead_id, cid, owner = drive_candidates[int(r() * len(drive_candidates))]
                    if end <= now:
                        km_out = odometer
                        odometer += 10 + int(r() * 40)
                        drive_rows.append(
                            f"{ds}\t{lead_id}\t{cid}\t{vid}\t{owner}\t{_iso(start)}\t{_iso(end)}\t"
                            f"done\t{km_out}\t{odometer}\tLikes it\t{_iso(start)}\t{_iso(end)}"
                        )
                    else:
                        drive_rows.append(
                            f"{ds}\t{lead_id}\t{cid}\t{vid}\t{owner}\t{_iso(start)}\t{_iso(end)}\t"
                            "booked\t\\N\t\\N\t\t\\N\t\\N"
                        )
            vehicles.append(
                f"{vid}\t{ds}\t{model_id}\t{trim_id}\tBENCH{did:06d}{v:06d}\t"
                f"B-DV {did % 1000}{v}\t{odometer}"
            )
            drives.extend(drive_rows)

    copy_text(
        Customer,
        [
            "id",
            "dealer_id",
            "first_name",
            "last_name",
            "phone",
            "email",
            "owner_id",
            "owner_since",
            "created_at",
            "updated_at",
        ],
        customers,
    )
    copy_text(
        Lead,
        [
            "id",
            "dealer_id",
            "customer_id",
            "consultant_id",
            "credited_to_id",
            "source_id",
            "vehicle_model_id",
            "stage",
            "grade",
            "is_open",
            "in_pool",
            "pooled_at",
            "created_at",
            "assigned_at",
            "first_response_due",
            "first_response_at",
            "last_activity_at",
            "closed_at",
            "lost_reason_id",
            "lost_requested_at",
            "lost_requested_by_id",
        ],
        leads,
    )
    copy_text(
        StageChange,
        [
            "dealer_id",
            "lead_id",
            "from_stage",
            "to_stage",
            "changed_at",
            "changed_by_id",
            "consultant_id",
        ],
        changes,
    )
    fu_open = [f for f in follow_ups if f.count("\t") == 5]
    fu_done = [f for f in follow_ups if f.count("\t") == 6]
    copy_text(
        FollowUp, ["dealer_id", "lead_id", "customer_id", "owner_id", "kind", "due_at"], fu_open
    )
    copy_text(
        FollowUp,
        ["dealer_id", "lead_id", "customer_id", "owner_id", "kind", "due_at", "done_at"],
        fu_done,
    )
    copy_text(
        Visit,
        [
            "dealer_id",
            "kind",
            "customer_id",
            "lead_id",
            "served_by_id",
            "source_id",
            "vehicle_model_id",
            "party_size",
            "arrived_at",
            "left_at",
            "outcome",
        ],
        visits,
    )
    copy_text(
        Quote,
        [
            "id",
            "dealer_id",
            "lead_id",
            "customer_id",
            "version",
            "status",
            "price_version_id",
            "trim_id",
            "list_price",
            "discount",
            "discount_status",
            "total",
            "created_by_id",
            "created_at",
            "sent_at",
        ],
        quotes,
    )
    copy_text(
        Order,
        [
            "dealer_id",
            "number",
            "quote_id",
            "lead_id",
            "customer_id",
            "consultant_id",
            "status",
            "total",
            "deposit_required",
            "expected_delivery",
            "ordered_at",
            "delivered_at",
        ],
        orders,
    )
    if orders:  # the dealer's order series goes on after the generated orders
        copy_text(
            NumberSeries, ["dealer_id", "kind", "last_number"], [f"{ds}\torder\t{len(orders)}"]
        )
    copy_text(
        OwnershipClaim,
        [
            "dealer_id",
            "customer_id",
            "claimant_id",
            "current_owner_id",
            "reason",
            "status",
            "created_at",
        ],
        claims,
    )
    copy_text(
        DemoVehicle,
        ["id", "dealer_id", "vehicle_model_id", "trim_id", "vin", "plate", "odometer_km"],
        vehicles,
    )
    copy_text(
        TestDrive,
        [
            "dealer_id",
            "lead_id",
            "customer_id",
            "vehicle_id",
            "consultant_id",
            "starts_at",
            "ends_at",
            "status",
            "km_out",
            "km_in",
            "outcome",
            "out_at",
            "returned_at",
        ],
        drives,
    )
    return {
        "customers": len(customers),
        "leads": n_leads_total,
        "stage changes": len(changes),
        "follow-ups": len(follow_ups),
        "visits": len(visits),
        "quotes": len(quotes),
        "orders": len(orders),
        "demo vehicles": len(vehicles),
        "test drives": len(drives),
        "claims": len(claims),
    }


if __name__ == "__main__":
    main()
