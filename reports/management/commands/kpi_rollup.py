"""Recompute the KPI facts of a date range: `manage.py kpi_rollup --from D --to D [--dealer CODE]`
(or `--nightly` for the incremental run the beat does). Runs as the runtime role with write scope
on the dealers it rolls up; prints a progress bar per chunk of dealers."""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dealers.models import Dealer
from reports.rollup.services import DEFAULT_CHUNK, nightly, rollup

BAR_WIDTH = 30


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Recompute KPI facts (KpiDay, KpiMonth) for a range of days, all dealers or some."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", help="last day (YYYY-MM-DD), default: --from")
        parser.add_argument(
            "--dealer", action="append", default=[], help="dealer code (repeatable)"
        )
        parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="dealers per step")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="chunks computed at once, each on its own connection (default: "
            "settings.KPI_ROLLUP_JOBS)",
        )
        parser.add_argument(
            "--nightly", action="store_true", help="the incremental nightly run instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dealer_ids = None
        if options["dealer"]:
            codes = options["dealer"]
            found = dict(Dealer.objects.filter(code__in=codes).values_list("code", "pk"))
            unknown = [c for c in codes if c not in found]
            if unknown:
                raise CommandError(f"Unknown dealer code(s): {', '.join(unknown)}")
            dealer_ids = [found[c] for c in codes]
        if options["jobs"] is not None and options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1.")
        if options["nightly"]:
            run = nightly(dealer_ids=dealer_ids, jobs=options["jobs"])
            self.stdout.write(
                f"Nightly rollup: {run.dealer_days} dealer-day(s), {run.rows} fact rows, "
                f"facts complete through {run.through}."
            )
            return
        if not options["start"]:
            raise CommandError("Give --from (and --to), or --nightly.")
        start = _date(options["start"])
        end = _date(options["end"]) if options["end"] else start
        if end < start:
            raise CommandError("--to is before --from.")
        if (end - start).days > 3660:
            raise CommandError("At most ten years at once.")
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1.")
        began = time.monotonic()
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty()

        def progress(done: int, total: int, label: str) -> None:
            filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"[{bar}] {done}/{total} chunks ({label}) {time.monotonic() - began:6.1f} s"
            if tty:
                self.stdout.write("\r" + line, ending="")
                if done == total:
                    self.stdout.write("")
            else:
                self.stdout.write(line)
            sys.stdout.flush()

        run = rollup(dealer_ids, start, end, progress, chunk=options["chunk"], jobs=options["jobs"])
        self.stdout.write(
            self.style.SUCCESS(
                f"KPI rollup {start}..{end}: {run.dealer_days} dealer-day(s), {run.rows} day rows, "
                f"{run.month_rows} month rows in {time.monotonic() - began:.1f} s; facts complete "
                f"through {run.through or '—'}."
            )
        )
