"""Signed-in test clients per role of the two-dealer world: a verified second factor, and HQ
users drilled into dealer A. Shared by the role matrix, the foreign-ids test and the link crawl."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY

from dms.tenancy.middleware import SESSION_DEALER_KEY

from .world import World


def signed_in(world: World, role: str) -> Client:
    """A client for `role` ("anonymous": not signed in) at dealer A."""
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        user = world.role_user(role)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
        session[SESSION_DEALER_KEY] = world.a.pk  # HQ: drilled into dealer A
        session.save()
    return client


@dataclass
class Clients:
    """One client per role, reused between cases; signed in again when a case (a logout, "end my
    sessions") ended its session."""

    world: World
    by_role: dict[str, Client] = field(default_factory=dict)

    def get(self, role: str) -> Client:
        client = self.by_role.get(role)
        if client is not None and role != "anonymous":
            session = client.session
            if not (session.get(SESSION_KEY) and session.get(DEVICE_ID_SESSION_KEY)):
                client = None
        if client is None:
            client = self.by_role[role] = signed_in(self.world, role)
        return client


@contextmanager
def quiet_clients(world: World) -> Iterator[Clients]:
    """Clients with a private cache (DRF's throttle must not carry hits over) and the request log
    at ERROR (thousands of expected 403/404s would flood it; server errors still show)."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        with override_settings(CACHES=caches):
            yield Clients(world)
    finally:
        request_log.setLevel(level)
