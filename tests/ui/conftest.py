"""Fixtures for the base UI tests: signed-in clients per role, with a verified second factor so
the tests hold whatever the security middleware enforces for HQ roles and admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def login() -> Callable[..., Client]:
    def _login(user: Any, *, verified: bool = True, client: Client | None = None) -> Client:
        client = client or Client()
        client.force_login(user)
        if verified:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _login
