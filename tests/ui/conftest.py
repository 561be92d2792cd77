"""Fixtures for the base UI tests: signed-in clients per role, with a verified second factor so
the tests hold whatever the security middleware enforces for HQ roles and admins."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.factories import signed_in_client


@pytest.fixture
def login() -> Callable[..., Client]:
    return signed_in_client
