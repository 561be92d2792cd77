"""Forms of the login, second factor and password pages."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.forms import OTPAuthenticationFormMixin
from two_factor.forms import AuthenticationTokenForm
from two_factor.utils import default_device, totp_digits

from dms.audit.services import client_ip

from . import services
from .backup_codes import normalise_code
from .selectors import backup_device_for

CODE_ERROR = _(
    "Invalid token: enter the current 6-digit code from your authenticator app, "
    "or one of your unused backup codes."
)


class LoginForm(AuthenticationForm):
    """Username and password. Refused before any password check while the client's IP is
    throttled, so a throttled attacker's guesses do not count against (lock) the accounts."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct username and password. Both are case-sensitive. "
            "After %(limit)d failed attempts in a row the account is locked."
        ),
        "ip_throttled": _(
            "Too many failed logins from your network. Wait %(minutes)d minutes and try again, "
            "or ask a colleague on another network to check your account."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        ip = client_ip(self.request)
        if services.ip_throttled(ip):
            services.note_failed_login(
                request=self.request,
                username=self.cleaned_data.get("username"),
                reason="ip_throttled",
            )
            raise forms.ValidationError(
                self.error_messages["ip_throttled"],
                code="ip_throttled",
                params={"minutes": max(1, int(settings.DMS_IP_THROTTLE_WINDOW_SECONDS) // 60)},
            )
        return super().clean()

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": int(settings.AXES_FAILURE_LIMIT)},
        )


def _looks_like_totp(token: str) -> bool:
    return token.isdigit() and len(token) == totp_digits()


def wait_in_words(seconds: float) -> str:
    """A wait as a person says it: "1 second", "8 seconds", "3 minutes", "2 hours"."""
    n = max(1, math.ceil(seconds))
    if n < 120:
        return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}
    minutes = math.ceil(n / 60)
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def seconds_to_wait(device: Any) -> float:
    """How long django-otp refuses the device's next code after wrong ones (1 s, 2 s, 4 s, ...
    doubling with each wrong code in a row); 0 when a code may be tried now."""
    allowed, extra = device.verify_is_allowed()
    if allowed or not isinstance(extra, dict) or "locked_until" not in extra:
        return 0.0
    return max(0.0, (extra["locked_until"] - timezone.now()).total_seconds())


class TokenForm(AuthenticationTokenForm):
    """The second step of the login: the authenticator app's code, or one unused backup code
    (the code's shape chooses the device; a backup code is checked against stored hashes)."""

    otp_token = forms.CharField(label=_("Code"), max_length=32, strip=True)
    otp_token.widget.attrs.update(
        {"autofocus": "autofocus", "autocomplete": "one-time-code", "spellcheck": "false"}
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "invalid_token": CODE_ERROR,
        "device_required": CODE_ERROR,
        "token_required": _("Enter the code from your authenticator app or a backup code."),
    }

    def _chosen_device(self, user: Any) -> Any:
        token = "".join((self.cleaned_data.get("otp_token") or "").split())
        if _looks_like_totp(token):
            self.cleaned_data["otp_token"] = token
            return default_device(user)
        self.cleaned_data["otp_token"] = normalise_code(token)
        return backup_device_for(user)

    def _verify_token(self, user: Any, token: str, device: Any = None) -> Any:
        """django-otp's check, with the wait after wrong codes said in words and in the
        reader's language (django-otp says "please try again soon", in English only)."""
        if device is not None and (wait := seconds_to_wait(device)) > 0:
            raise forms.ValidationError(
                _("Too many wrong codes in a row. Wait %(wait)s, then enter the current code.")
                % {"wait": wait_in_words(wait)},
                code="n_failed_attempts",
            )
        try:
            return super()._verify_token(user, token, device)
        except forms.ValidationError as error:
            wait = seconds_to_wait(device) if device is not None else 0
            if error.code != "invalid_token" or wait <= 0:
                raise
            raise forms.ValidationError(
                _("%(problem)s Wait %(wait)s before you enter the next code.")
                % {"problem": CODE_ERROR, "wait": wait_in_words(wait)},
                code="invalid_token",
            ) from error


class BackupCodeForm(TokenForm):
    """The login's backup step: only a backup code."""

    otp_token = forms.CharField(label=_("Backup code"), max_length=32, strip=True)
    otp_token.widget.attrs.update(
        {"autofocus": "autofocus", "autocomplete": "off", "spellcheck": "false"}
    )

    def _chosen_device(self, user: Any) -> Any:
        self.cleaned_data["otp_token"] = normalise_code(self.cleaned_data.get("otp_token") or "")
        return backup_device_for(user)


class VerifyForm(TokenForm):
    """Verify the second factor of an already logged-in session."""

    def __init__(self, user: Any, **kwargs: Any) -> None:
        super().__init__(user=user, initial_device=default_device(user), **kwargs)


class ChangePasswordForm(PasswordChangeForm):
    """Django's form (old password, new twice, all validators incl. the last-5 history)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"


class ReverifyForm(forms.Form):
    """The acting admin's own password and second factor, asked again before a sensitive change
    to another account (checked by services.reverify_admin, which also audits failures)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Your authenticator code or a backup code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "inputmode": "text"}
        ),
    )
