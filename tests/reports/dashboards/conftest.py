from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .facts import Network, build_network


@pytest.fixture
def net(db: Any) -> Network:
    return build_network()


@pytest.fixture
def login() -> Callable[..., Client]:
    """A client signed in as `user`, second factor verified (HQ roles must have one)."""

    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return _login
