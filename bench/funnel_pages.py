"""Time the sales-funnel pages on the bench network (run bench/generate.py first).

    .venv/bin/python bench/funnel_pages.py [-n 40] [--warmup 5] [--dealer CODE]

Django is set up on the `dms_bench` database as the RUNTIME role (RLS applies, exactly as in
production). For the largest dealer, its busiest consultant and its sales manager, every page is
requested straight through Django's WSGI handler as a server calls it (bench.common.ServerClient;
logged in with django.test.Client's force_login, second factor marked verified when the security
middleware would ask for it): N timed requests after a warm-up give the server time p50/p95
(time.perf_counter from the WSGI call until the body is iterated and closed); one more request under CaptureQueriesContext
gives the SQL statements of the page. Those statements are then re-executed N times through a
raw psycopg cursor of the same role, in a transaction with the same
set_config('app.dealer_ids', ...), which gives the raw SQL time of the page (sum over its
statements, p50) and the ratio page p50 / raw p50. Targets: p95 <= 50 ms, <= 8 queries,
<= 3x raw SQL. Finally the EXPLAIN (ANALYZE, BUFFERS) summary of the slowest statement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ServerClient, require_runtime_role, setup_django

TARGET_P95_MS = 50.0
TARGET_QUERIES = 8
TARGET_RATIO = 3.0
CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


@dataclass
class PageResult:
    name: str
    who: str
    url: str
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of this process per request
    statements: list[str] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    per_statement_ms: list[list[float]] = field(default_factory=list)
    status: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else 0.0

    @property
    def raw_p50(self) -> float:
        return statistics.median(self.raw_ms) if self.raw_ms else 0.0

    @property
    def ratio(self) -> float:
        return self.p50 / self.raw_p50 if self.raw_p50 else float("inf")

    def slowest(self) -> tuple[float, str]:
        medians = [statistics.median(t) for t in self.per_statement_ms]
        if not medians:
            return 0.0, ""
        i = max(range(len(medians)), key=medians.__getitem__)
        return medians[i], self.statements[i]


def pick_people(code: str | None) -> tuple[Any, Any, Any]:
    """(largest dealer, its consultant with the most open leads, its sales manager)."""
    from django.db.models import Count, Q

    from dealers.models import Dealer, Membership
    from dms.tenancy.context import as_dealer, as_dealers
    from leads.models import Lead

    if code:
        dealer = Dealer.objects.get(code=code)
    else:
        ids = list(Dealer.objects.values_list("id", flat=True))
        with as_dealers(ids):
            top = (
                Lead.objects.values("dealer_id")
                .annotate(n=Count("id"))
                .order_by("-n", "dealer_id")
                .first()
            )
        dealer = Dealer.objects.get(pk=top["dealer_id"])
    members = Membership.objects.filter(dealer=dealer, is_active=True).select_related("user")
    consultants = [m.user for m in members if m.role == "consultant"]
    manager = next(m.user for m in members if m.role == "sales_manager")
    with as_dealer(dealer):
        busiest = (
            Lead.objects.filter(consultant__in=consultants)
            .values("consultant_id")
            .annotate(n=Count("id", filter=Q(is_open=True)))
            .order_by("-n", "consultant_id")
            .first()
        )
    consultant = next(u for u in consultants if u.pk == busiest["consultant_id"])
    return dealer, consultant, manager


def ready_user(user: Any) -> None:
    """No redirect to a password change page: the bench users' passwords are 'current'."""
    from django.utils import timezone

    if user.password_changed_at is None or getattr(user, "must_change_password", False):
        type(user).objects.filter(pk=user.pk).update(
            password_changed_at=timezone.now(), must_change_password=False
        )
        user.refresh_from_db()


def client_for(user: Any) -> ServerClient:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dms.security.selectors import two_factor_state

    ready_user(user)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)  # the login only: requests go to the WSGI handler (ServerClient)
    state = two_factor_state(user)
    if state.required or state.has_device:  # the security middleware would ask for a code
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return ServerClient(client)


def measure_page(client: Any, page: PageResult, *, n: int, warmup: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(page.url)
        if response.status_code != 200:
            raise SystemExit(
                f"{page.name}: HTTP {response.status_code} for {page.url} "
                f"({response.get('Location', '')})"
            )
    for _ in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(page.url)
        page.times_ms.append((time.perf_counter() - start) * 1000)
        page.cpu_ms.append((time.process_time() - cpu) * 1000)
        page.status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(page.url)
    page.statements = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].lstrip().upper().startswith(CONTROL)
    ]


def profile(client: Any, page: PageResult, *, n: int, warmup: int) -> None:
    """cProfile of N requests of one page: the functions with the most own and total time."""
    import cProfile
    import io
    import pstats

    for _ in range(warmup):
        client.get(page.url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        response = client.get(page.url)
    profiler.disable()
    print(
        f"{page.name} ({page.who}) {page.url}: HTTP {response.status_code}, "
        f"{len(response.content):,} bytes; {n} requests"
    )
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(30)
        print(out.getvalue())


def raw_connection() -> Any:
    import psycopg
    from django.db import connection

    cfg = connection.settings_dict
    kwargs = {
        "host": cfg["HOST"] or None,
        "port": cfg["PORT"] or None,
        "user": cfg["USER"],
        "password": cfg["PASSWORD"] or None,
        "dbname": cfg["NAME"],
    }
    return psycopg.connect(**{k: v for k, v in kwargs.items() if v is not None})


def replay(conn: Any, page: PageResult, dealer_id: int, *, n: int) -> None:
    """The page's statements through a raw cursor: one transaction per round (rolled back, so a
    session UPDATE changes nothing), the tenant ids set as the app sets them."""
    ids = str(dealer_id)
    page.per_statement_ms = [[] for _ in page.statements]
    for round_ in range(n + 2):
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('app.dealer_ids', %s, true), "
                "set_config('app.write_dealer_ids', %s, true)",
                [ids, ids],
            )
            total = 0.0
            for i, sql in enumerate(page.statements):
                start = time.perf_counter()
                cursor.execute(sql.replace("%", "%%"))
                if cursor.description is not None:
                    cursor.fetchall()
                elapsed = (time.perf_counter() - start) * 1000
                total += elapsed
                if round_ >= 2:  # two warm-up rounds
                    page.per_statement_ms[i].append(elapsed)
            if round_ >= 2:
                page.raw_ms.append(total)
        conn.rollback()


def explain(conn: Any, sql: str, dealer_id: int) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.dealer_ids', %s, true), "
            "set_config('app.write_dealer_ids', %s, true)",
            [str(dealer_id), str(dealer_id)],
        )
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
        lines = [row[0] for row in cursor.fetchall()]
    conn.rollback()
    return lines


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--dealer", help="dealer code (default: the one with the most leads)")
    parser.add_argument("--show-sql", action="store_true", help="print every page's statements")
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="cProfile N requests of the page whose name starts with PAGE (e.g. 'my day'), "
        "print the top functions and stop",
    )
    parser.add_argument("--only", metavar="PAGE", help="measure only pages starting with PAGE")
    args = parser.parse_args()

    setup_django(owner=False)
    from django.urls import reverse

    from dms.tenancy.context import as_dealer
    from leads.models import Lead

    require_runtime_role()
    dealer, consultant, manager = pick_people(args.dealer)
    with as_dealer(dealer):
        leads = Lead.objects.filter(dealer=dealer).count()
        mine = Lead.objects.filter(consultant=consultant, is_open=True).count()
    print(
        f"dealer {dealer.code} ({leads:,} leads); consultant {consultant.username} "
        f"({mine:,} open leads); manager {manager.username}"
    )

    pages = [
        PageResult("lead list", "consultant", reverse("leads:leads")),
        PageResult("my day", "consultant", reverse("leads:my_day")),
        PageResult("funnel (30 days)", "manager", reverse("leads:funnel")),
        PageResult(
            "funnel (365 days, by source)",
            "manager",
            reverse("leads:funnel") + "?period=365&by=source",
        ),
        PageResult("approvals inbox", "manager", reverse("leads:approvals")),
        PageResult("lead list (all)", "manager", reverse("leads:leads")),
        # The floor: the notification badge every page polls is one small query of its own
        # behind the same session, user, second-factor and membership queries: what any page
        # pays before its own SQL and HTML.
        PageResult("notification badge", "consultant", reverse("leads:notifications_count")),
    ]
    clients = {"consultant": client_for(consultant), "manager": client_for(manager)}
    if args.profile:
        page = next(p for p in pages if p.name.startswith(args.profile))
        profile(clients[page.who], page, n=args.n, warmup=args.warmup)
        return
    if args.only:
        pages = [p for p in pages if p.name.startswith(args.only)]
    from dms.process import settle_process

    settle_process()  # as a web worker does after start-up (dms/wsgi.py)
    for page in pages:
        measure_page(clients[page.who], page, n=args.n, warmup=args.warmup)
    conn = raw_connection()
    for page in pages:
        replay(conn, page, dealer.pk, n=args.n)

    print()
    header = (
        f"{'page':<30} {'who':<10} {'p50 ms':>7} {'p95 ms':>7} {'':>4} {'queries':>7} "
        f"{'':>4} {'raw ms':>7} {'ratio':>6} {'':>4} {'cpu ms':>7}"
    )
    print(header)
    print("-" * len(header))
    all_ok = True
    for page in pages:
        ok_time = page.p95 <= TARGET_P95_MS
        ok_queries = len(page.statements) <= TARGET_QUERIES
        ok_ratio = page.ratio <= TARGET_RATIO
        all_ok &= ok_time and ok_queries and ok_ratio
        print(
            f"{page.name:<30} {page.who:<10} {page.p50:7.1f} {page.p95:7.1f} "
            f"{verdict(ok_time):>4} {len(page.statements):7d} {verdict(ok_queries):>4} "
            f"{page.raw_p50:7.2f} {page.ratio:6.1f} {verdict(ok_ratio):>4} {page.cpu_p50:7.1f}"
        )
    print(
        f"targets: p95 <= {TARGET_P95_MS:.0f} ms, <= {TARGET_QUERIES} queries, "
        f"page p50 <= {TARGET_RATIO:.0f}x raw SQL p50; n={args.n} after {args.warmup} warm-up"
    )
    print(
        "cpu ms: p50 CPU time of the Django process per request (no database server time, no "
        "waiting: less sensitive to a loaded machine than the wall-clock figures)"
    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    print("\nslowest statement per page (raw p50):")
    for page in pages:
        ms, sql = page.slowest()
        print(f"  {page.name:<30} {ms:7.2f} ms  {sql[:150]}")
    if args.show_sql:
        for page in pages:
            print(f"\n-- {page.name} ({page.who}): {len(page.statements)} statements")
            for sql, times in zip(page.statements, page.per_statement_ms, strict=True):
                print(f"   {statistics.median(times):7.2f} ms  {sql}")
    worst_ms, worst_sql, worst_page = max(
        ((*p.slowest(), p.name) for p in pages), key=lambda item: item[0]
    )
    print(
        f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest statement ({worst_page}, {worst_ms:.2f} ms):"
    )
    print(f"  {worst_sql}")
    plan = explain(conn, worst_sql, dealer.pk)
    top = plan[0]
    buffers = next((line.strip() for line in plan if line.strip().startswith("Buffers")), "")
    timing = [line.strip() for line in plan if line.startswith(("Planning Time", "Execution Time"))]
    print(f"  {top.strip()}")
    if buffers:
        print(f"  {buffers}")
    for line in timing:
        print(f"  {line}")
    conn.close()
    print("\nALL TARGETS MET" if all_ok else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
