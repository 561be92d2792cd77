"""Django REST framework throttles keyed by the same client IP as everything else
(dms.security.ip.client_ip) for anonymous callers; signed-in callers are keyed by user."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from .ip import client_ip


class ClientIpMixin:
    def get_ident(self, request: Any) -> str:
        return client_ip(request) or ""


class UserRateThrottle(ClientIpMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIpMixin, throttling.ScopedRateThrottle):
    pass
