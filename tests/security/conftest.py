"""Helpers for the security tests: logging in through the real login wizard, verified sessions,
and a private in-memory cache (the per-IP throttle lives in the cache; other test runs on this
machine share var/cache)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer
from dms.audit.models import AuditEntry
from tests.factories import DealerFactory

LOGIN_URL = "/account/login/"


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> Iterator[None]:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "security-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def make_dealer(**kwargs: Any) -> Dealer:
    """DealerFactory, typed (factory_boy's metaclass hides the model type from mypy)."""
    return cast(Dealer, DealerFactory(**kwargs))


def post_credentials(
    client: Client, username: str, password: str, ip: str = "10.0.0.1", **extra: Any
) -> Any:
    return client.post(
        LOGIN_URL,
        {"login_view-current_step": "auth", "auth-username": username, "auth-password": password},
        REMOTE_ADDR=ip,
        **extra,
    )


def post_token(client: Client, token: str, step: str = "token", ip: str = "10.0.0.1") -> Any:
    return client.post(
        LOGIN_URL,
        {"login_view-current_step": step, f"{step}-otp_token": token},
        REMOTE_ADDR=ip,
    )


def add_totp(user: Any) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return device


def totp_now(device: TOTPDevice) -> str:
    """The code an authenticator app shows now, computed from the device's key."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verified_client(user: Any) -> Client:
    """A client logged in as `user` whose session passed the second factor."""
    device = TOTPDevice.objects.filter(user=user, name="default").first() or add_totp(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def audit(action: str, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("id"))
