"""Signal receivers: logins, logouts, failures and lockouts to the audit log; password history;
sessions and tokens end when an account is disabled."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_otp.forms import otp_verification_failed

from . import services
from .selectors import password_expires_at


@receiver(user_logged_in, dispatch_uid="dms_security_logged_in")
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.register_session(request=request, user=user)
        _warn_if_password_expires_soon(request, user)


def _warn_if_password_expires_soon(request: Any, user: Any) -> None:
    expires = password_expires_at(user)
    warning = getattr(settings, "DMS_PASSWORD_EXPIRY_WARNING", None)
    if expires is None or warning is None or not hasattr(request, "_messages"):
        return
    now = timezone.now()
    if now < expires <= now + warning:
        messages.warning(
            request,
            _("Your password expires on %(date)s. Change it under Account security.")
            % {"date": date_format(timezone.localtime(expires), "DATE_FORMAT")},
        )


@receiver(user_logged_out, dispatch_uid="dms_security_logged_out")
def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        reason = getattr(request, "dms_logout_reason", "logout")
        services.forget_session(request=request, user=user, reason=reason)


@receiver(user_login_failed, dispatch_uid="dms_security_login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = credentials.get(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    username = username or credentials.get("username")
    # django-axes ran first: it flags a request refused because the account is already locked.
    already_locked = bool(
        getattr(request, "axes_locked_out", False)
        and getattr(request, "axes_failures_since_start", None) is None
    )
    services.note_failed_login(
        request=request,
        username=username,
        reason="locked" if already_locked else "bad_credentials",
    )


@receiver(user_locked_out, dispatch_uid="dms_security_locked_out")
def on_locked_out(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    # Sent when this failure locks the account and again for attempts while locked; only the
    # first is a lockout (axes counted failures for it).
    if getattr(request, "axes_failures_since_start", None) is not None:
        services.note_lockout(request=request, username=username)


@receiver(otp_verification_failed, dispatch_uid="dms_security_otp_failed")
def on_otp_failed(sender: Any, user: Any, **kwargs: Any) -> None:
    services.note_second_factor_failure(user=user)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="dms_security_user_saved")
def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # AbstractBaseUser keeps the raw password in `_password` between set_password() and the
    # end of save(): a non-None value means this save stored a new password.
    if getattr(instance, "_password", None) is not None and instance.has_usable_password():
        services.remember_password(user=instance)
    if not created and not instance.is_active:
        services.end_all_sessions(
            user=instance, actor=None, request=None, reason="account_disabled"
        )
