"""manage.py seed_funnel [--seed N] [--months 6] [--leads-per-month 45] [--dealer CODE ...] [--force]

Gives every dealer of the demo network months of sales-funnel history (leads/demo.py). Dealers
that already have customers are skipped unless --force (their funnel data is replaced). Runs as
the database owner (manage.py maps it), inside each dealer's tenant scope."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dealers.models import Dealer
from leads.demo import DEFAULT_LEADS_PER_MONTH, DEFAULT_MONTHS, DEFAULT_SEED, seed_funnel


class Command(BaseCommand):
    help = "Seed months of realistic sales-funnel history for the demo dealers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument("--months", type=int, default=DEFAULT_MONTHS)
        parser.add_argument("--leads-per-month", type=int, default=DEFAULT_LEADS_PER_MONTH)
        parser.add_argument(
            "--dealer", action="append", default=[], help="dealer code (repeatable); default all"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace the funnel data of seeded dealers"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["months"] < 1 or options["leads_per_month"] < 1:
            raise CommandError("--months and --leads-per-month must be at least 1.")
        dealers = None
        if options["dealer"]:
            codes = sorted(set(options["dealer"]))
            dealers = list(Dealer.objects.filter(code__in=codes).order_by("code"))
            missing = set(codes) - {d.code for d in dealers}
            if missing:
                raise CommandError(f"Unknown dealer code(s): {', '.join(sorted(missing))}")
        verbose = options["verbosity"] > 1
        started = time.perf_counter()
        result = seed_funnel(
            seed=options["seed"],
            months=options["months"],
            leads_per_month=options["leads_per_month"],
            dealers=dealers,
            force=options["force"],
            progress=(lambda line: self.stdout.write(f"  {line}")) if verbose else None,
        )
        totals = result.totals
        if result.seeded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Funnel history seeded (seed {options['seed']}) for {len(result.seeded)} "
                    f"dealers in {time.perf_counter() - started:.1f} s: "
                    f"{totals['customers']} customers, {totals['leads']} leads, "
                    f"{totals['visits']} visits, {totals['test drives']} test drives, "
                    f"{totals['orders']} orders, {totals['open follow-ups']} open follow-ups."
                )
            )
        if result.skipped:
            self.stdout.write(
                f"Skipped (already have customers, or no consultants): "
                f"{', '.join(result.skipped)} — use --force to replace."
            )
