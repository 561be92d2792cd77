"""manage.py seed_demo [--seed N] [--force] [--quiet] [--show-logins]

Builds the demo network (dms/ops/demo.py) when the database has no dealer yet, then prints the
demo logins. Runs as the database owner (manage.py maps it)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dms.ops.demo import DEFAULT_SEED, DEMO_PASSWORD, build_demo_network, demo_logins


class Command(BaseCommand):
    help = "Create the demo dealer network (skipped when dealers exist unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Faker seed")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing network (all dealers, regions and the demo users).",
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--no-funnel",
            action="store_true",
            help="Skip the sales-funnel history (seed_funnel), the plans and the HQ information.",
        )
        parser.add_argument(
            "--show-logins", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["show_logins"]:
            try:
                result = build_demo_network(seed=options["seed"], force=options["force"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if result.created:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Demo network created (seed {options['seed']}): {result.regions} "
                        f"regions, {result.dealers} dealers, {result.users} users, "
                        f"{result.memberships} memberships."
                    )
                )
            else:
                self.stdout.write("Dealers already exist: demo network not seeded (use --force).")
            if not options["no_funnel"]:  # months of leads, visits, test drives, orders
                call_command("seed_funnel", seed=options["seed"], stdout=self.stdout)
                from reports.plans.demo import seed_plans  # sales plan v1 + v2, one split

                self.stdout.write(str(seed_plans(seed=options["seed"])))
                # Catalogue, promotions, bulletins, a recall campaign.
                from bulletins.demo import seed_hq_information

                self.stdout.write(str(seed_hq_information(seed=options["seed"])))
                # Each dealer's parts store: a year of movements, reservations, a transfer.
                from inventory.stock.demo import seed_parts_stock

                self.stdout.write(str(seed_parts_stock(seed=options["seed"])))
                # Vehicle stock: HQ's vehicles, each dealer's in transit, in stock, reserved.
                from inventory.vehicles.demo import seed_vehicle_stock

                self.stdout.write(str(seed_vehicle_stock(seed=options["seed"])))
        if not options["quiet"]:
            self.print_logins()

    def print_logins(self) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo logins in this database.")
            return
        headers = ("username", "role", "dealer / regions", "2FA (TOTP secret, base32)")
        rows = [
            (login.username, login.role, login.dealer, login.totp_secret or "-") for login in logins
        ]
        widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (password: {DEMO_PASSWORD})"))
        self.stdout.write(
            "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(
                "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(
            "Users with a TOTP secret need a code at login: add the secret to an authenticator "
            "app, or run `.venv/bin/python manage.py demo_otp <username>`."
        )
