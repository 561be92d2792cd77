from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class ActiveUserTokenAuthentication(TokenAuthentication):
    """DRF token auth that also refuses tokens of disabled accounts and of users who must change
    their password first (tokens are deleted when an account is disabled, this is the backstop)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if user.must_change_password:
            raise AuthenticationFailed(_("Password change required. Log in to the web app first."))
        return user, token
