"""Generate the bench network: 170 dealers, >= 1M customers, >= 2M leads (COPY, per dealer).

    .venv/bin/python bench/generate.py [--dealers 170] [--customers 1000000] [--seed 7] [--fresh]

Creates (or recreates with --fresh) the `dms_bench` database on the project's PostgreSQL server,
migrates it as the owner, and fills it. Prints how long each part took.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BASE_DIR, BENCH_DB, bench_database_url, copy_rows, reset_sequence, timed

FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas",
         "Klara", "Leon", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tina", "Udo"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Braun"]
# Stage reached by a lead (funnel order) and how often, then closed outcomes.
STAGE_MIX = [("new", 10), ("contacted", 14), ("visited", 14), ("test_drive", 9), ("quote", 9),
             ("order", 5), ("delivered", 16), ("lost", 17), ("dormant", 6)]
FUNNEL = ["new", "contacted", "visited", "test_drive", "quote", "order", "delivered"]


def create_database(fresh: bool) -> None:
    import psycopg

    from dms.devdb import embedded_database_url  # noqa: F401  (starts embedded PG if needed)

    url = bench_database_url()
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    import dj_database_url

    cfg = dj_database_url.parse(admin_url)
    conn = psycopg.connect(
        host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"],
        password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True,
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
        check=True, env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dealers", type=int, default=170)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--leads-per-customer", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    results: dict[str, float] = {}
    t0 = time.perf_counter()
    print(f"bench database: {BENCH_DB}")
    with timed("create database", results):
        create_database(args.fresh)
    with timed("migrate", results):
        migrate()

    from bench.common import setup_django

    setup_django(owner=True)
    from django.db import connection, transaction
    from django.utils import timezone

    from dealers.models import Dealer
    from leads.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_customer")
        if cursor.fetchone()[0] and not args.fresh:
            print("bench data already present (use --fresh to regenerate)")
            return
    rng = random.Random(args.seed)
    now = timezone.now()
    with transaction.atomic(), timed("network (regions, dealers, staff)", results):
        network = build_network(rng, args.dealers)
    weights = [rng.lognormvariate(0, 0.6) for _ in network["dealers"]]
    scale = args.customers / sum(weights)
    counts = {"customers": 0, "leads": 0, "stage changes": 0, "follow-ups": 0, "visits": 0,
              "quotes": 0, "orders": 0}
    ref = reference_data()
    start = time.perf_counter()
    # Bulk load: the generator writes consistent data, so skip per-row FK triggers (a standard
    # PostgreSQL bulk-load setting, superuser only; the bench database is ours).
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    for index, dealer in enumerate(network["dealers"]):
        n_customers = max(50, round(weights[index] * scale))
        with transaction.atomic():
            fill_dealer(rng, dealer, network["staff"][dealer.pk], n_customers, args, ref, now, counts)
        if index % 17 == 0:
            print(f"  … dealer {index + 1}/{len(network['dealers'])}: "
                  f"{counts['customers']:,} customers, {counts['leads']:,} leads", flush=True)
    results["tenant rows (COPY)"] = time.perf_counter() - start
    from leads.models import FollowUp, Lead, StageChange, Visit
    from sales.models import Order, Quote

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    for model in (Customer, Lead, StageChange, FollowUp, Visit, Quote, Order):
        reset_sequence(model)
    with timed("ANALYZE", results):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print()
    for key, value in counts.items():
        print(f"  {key:<16} {value:>12,}")
    total = time.perf_counter() - t0
    print(f"\nGENERATED {counts['customers']:,} customers, {counts['leads']:,} leads "
          f"for {Dealer.objects.count()} dealers in {total:.1f} s "
          f"(tenant rows {results['tenant rows (COPY)']:.1f} s)")


def reference_data() -> dict:
    """HQ reference rows the data needs (the project's data migration usually made them)."""
    from bulletins.models import PriceList
    from inventory.models import Trim, VehicleModel
    from leads.models import LeadSource

    domain = BASE_DIR / "leads" / "reference"
    if not (domain / "lead_sources.json").exists():
        domain = BASE_DIR.parent / "shared" / "domain"
    sources = json.loads((domain / "lead_sources.json").read_text())["lead_sources"]
    for s in sources:
        LeadSource.objects.get_or_create(code=s["code"], defaults={"name": s["name"]})
    catalogue = json.loads((domain / "catalogue.json").read_text())
    for m in catalogue["models"]:
        vm, _ = VehicleModel.objects.get_or_create(code=m["code"], defaults={"name": m["name"]})
        for t in m["trims"]:
            Trim.objects.get_or_create(code=t["code"], defaults={"name": t["name"], "vehicle_model": vm})
    price_list = PriceList.objects.order_by("-valid_from").first()
    if price_list is None:
        from django.utils import timezone

        price_list = PriceList.objects.create(name="Bench", valid_from=timezone.now().date())
    return {
        "source_ids": list(LeadSource.objects.values_list("id", flat=True)),
        "model_ids": list(VehicleModel.objects.values_list("id", flat=True)),
        "trims": list(Trim.objects.values_list("id", "vehicle_model_id")),
        "price_list_id": price_list.pk,
    }


def build_network(rng: random.Random, n_dealers: int) -> dict:
    from dealers.models import Dealer, Membership, Region
    from dms.accounts.models import User

    regions = [Region.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Bench region {i}"})[0]
               for i in range(1, 7)]
    dealers = Dealer.objects.bulk_create([
        Dealer(code=f"B{i:04d}", name=f"Bench Motors {i}", legal_name=f"Bench Motors {i} GmbH",
               region=regions[i % len(regions)], city="Berlin")
        for i in range(1, n_dealers + 1)
    ])
    users, memberships, staff = [], [], {}
    for dealer in dealers:
        n_consultants = rng.randint(4, 12)
        roles = ["consultant"] * n_consultants + ["sales_manager", "dealer_manager"]
        for k, role in enumerate(roles):
            users.append(User(username=f"{dealer.code.lower()}-{role}-{k}", first_name=rng.choice(FIRST),
                              last_name=rng.choice(LAST), password="!", email=""))
            memberships.append((dealer, role))
    users = User.objects.bulk_create(users, batch_size=2000)
    Membership.objects.bulk_create(
        [Membership(user=u, dealer=d, role=r) for u, (d, r) in zip(users, memberships, strict=True)],
        batch_size=2000,
    )
    for u, (d, r) in zip(users, memberships, strict=True):
        entry = staff.setdefault(d.pk, {"consultants": [], "managers": []})
        entry["consultants" if r == "consultant" else "managers"].append(u.pk)
    return {"dealers": dealers, "staff": staff}


def fill_dealer(rng, dealer, staff, n_customers, args, ref, now, counts) -> None:  # noqa: ANN001
    from leads.models import Customer, FollowUp, Lead, StageChange, Visit
    from sales.models import Order, Quote

    consultants = staff["consultants"]
    base_customer = counts["customers"]
    base_lead = counts["leads"]
    customers, leads, changes, follow_ups, visits, quotes, orders = [], [], [], [], [], [], []
    stages = [s for s, _ in STAGE_MIX]
    stage_weights = [w for _, w in STAGE_MIX]
    lead_id = base_lead
    for i in range(n_customers):
        cid = base_customer + i + 1
        owner = rng.choice(consultants)
        created = now - timedelta(days=rng.uniform(0, 730))
        customers.append((cid, dealer.pk, rng.choice(FIRST), rng.choice(LAST), f"+49151{cid:08d}",
                          f"c{cid}@example.net", owner, created, created, created))
        n_leads = 1 + (rng.random() < (args.leads_per_customer - 1)) if args.leads_per_customer < 2 else \
            rng.choice([1, 2, 3]) if args.leads_per_customer == 2 else round(args.leads_per_customer)
        for _ in range(n_leads):
            lead_id += 1
            stage = rng.choices(stages, stage_weights)[0]
            lead_created = created + timedelta(days=rng.uniform(0, 60))
            if lead_created > now:
                lead_created = now - timedelta(hours=rng.uniform(1, 48))
            closed = stage in ("delivered", "lost", "dormant")
            last_activity = min(now, lead_created + timedelta(days=rng.uniform(0, 45)))
            grade = "O" if stage == "order" else ("" if closed else rng.choice("HABC"))
            source = rng.choice(ref["source_ids"])
            model = rng.choice(ref["model_ids"])
            leads.append((lead_id, dealer.pk, cid, owner, owner if stage == "delivered" else None,
                          source, model, stage, grade, not closed, lead_created, lead_created,
                          lead_created + timedelta(hours=1), lead_created + timedelta(minutes=rng.randint(5, 300)),
                          last_activity, last_activity if closed else None))
            reached = FUNNEL.index(stage) if stage in FUNNEL else rng.randint(0, 3)
            at = lead_created
            for step in range(1, reached + 1):
                at = min(now, at + timedelta(days=rng.uniform(0.5, 10)))
                changes.append((dealer.pk, lead_id, FUNNEL[step - 1], FUNNEL[step], at, owner))
            if stage in ("lost", "dormant"):
                changes.append((dealer.pk, lead_id, FUNNEL[reached], stage, last_activity, owner))
            if not closed:
                due = now + timedelta(days=rng.uniform(-5, 14))
                follow_ups.append((dealer.pk, lead_id, cid, owner, "cadence", due))
            if reached >= 2 and lead_created > now - timedelta(days=180):
                visits.append((dealer.pk, "walk_in", cid, lead_id, owner, source, model, 1,
                               lead_created, lead_created + timedelta(minutes=rng.randint(10, 90)), "info"))
            if stage == "order":
                trim_id = rng.choice(ref["trims"])[0]
                qid = len(quotes) + counts["quotes"] + 1
                price = Decimal(rng.randint(20000, 55000))
                quotes.append((qid, dealer.pk, lead_id, cid, 1, "accepted", ref["price_list_id"], trim_id,
                               price, price, owner))
                orders.append((dealer.pk, qid, lead_id, cid, owner, "open", price, Decimal(1000),
                               (now + timedelta(days=rng.randint(-3, 60))).date(), last_activity))
    copy_rows(Customer, ["id", "dealer_id", "first_name", "last_name", "phone", "email", "owner_id",
                         "owner_since", "created_at", "updated_at"], customers)
    copy_rows(Lead, ["id", "dealer_id", "customer_id", "consultant_id", "credited_to_id", "source_id",
                     "vehicle_model_id", "stage", "grade", "is_open", "created_at", "assigned_at",
                     "first_response_due", "first_response_at", "last_activity_at", "closed_at"], leads)
    copy_rows(StageChange, ["dealer_id", "lead_id", "from_stage", "to_stage", "changed_at",
                            "changed_by_id"], changes)
    copy_rows(FollowUp, ["dealer_id", "lead_id", "customer_id", "owner_id", "kind", "due_at"], follow_ups)
    copy_rows(Visit, ["dealer_id", "kind", "customer_id", "lead_id", "served_by_id", "source_id",
                      "vehicle_model_id", "party_size", "arrived_at", "left_at", "outcome"], visits)
    copy_rows(Quote, ["id", "dealer_id", "lead_id", "customer_id", "version", "status", "price_list_id",
                      "trim_id", "list_price", "total", "created_by_id"], quotes)
    copy_rows(Order, ["dealer_id", "quote_id", "lead_id", "customer_id", "consultant_id", "status",
                      "total", "deposit_required", "expected_delivery", "ordered_at"], orders)
    counts["customers"] += len(customers)
    counts["leads"] += len(leads)
    counts["stage changes"] += len(changes)
    counts["follow-ups"] += len(follow_ups)
    counts["visits"] += len(visits)
    counts["quotes"] += len(quotes)
    counts["orders"] += len(orders)


if __name__ == "__main__":
    main()
