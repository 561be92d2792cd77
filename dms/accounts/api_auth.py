from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class ActiveUserTokenAuthentication(TokenAuthentication):
    """DRF token auth that refuses tokens of disabled accounts (DRF does) and of users who must
    change their password first: forced by an admin or older than the maximum age. Tokens are
    deleted when an account is disabled or its password changes; this is the backstop."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from dms.security.selectors import password_change_reason

        user, token = super().authenticate_credentials(key)
        if password_change_reason(user):
            raise AuthenticationFailed(_("Password change required. Log in to the web app first."))
        return user, token
