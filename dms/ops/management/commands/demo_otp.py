"""manage.py demo_otp <username>: the current TOTP code of a demo user.

Only for devices whose key is the demo key derived from the username (public anyway, see
dms/ops/demo.py); a real user's device is refused."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dms.ops.demo import is_demo_device


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (demo TOTP devices only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        device = (
            TOTPDevice.objects.select_related("user")
            .filter(user__username=username, name="default", confirmed=True)
            .first()
        )
        if device is None:
            raise CommandError(f"{username!r} has no two-factor device.")
        if not is_demo_device(device):
            raise CommandError(f"{username!r} has a real (non-demo) device: its codes stay secret.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for about {remaining} more seconds)")
