from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class ActiveUserTokenAuthentication(TokenAuthentication):
    """DRF token auth that refuses tokens of disabled accounts (DRF does), tokens older than
    DMS_API_TOKEN_MAX_AGE_DAYS, and tokens of users who must change their password first: forced
    by an admin or older than the maximum age. Tokens are deleted when an account is disabled or
    its password changes; this is the backstop."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from dms.security.selectors import password_change_reason

        user, token = super().authenticate_credentials(key)
        max_days = int(settings.DMS_API_TOKEN_MAX_AGE_DAYS)
        if max_days and token.created < timezone.now() - dt.timedelta(days=max_days):
            raise AuthenticationFailed(
                _("API token expired. Issue a new one from the web app (Account security).")
            )
        if password_change_reason(user):
            raise AuthenticationFailed(_("Password change required. Log in to the web app first."))
        return user, token
