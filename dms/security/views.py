"""Login, second factor, password, sessions and locked-account pages. Thin: rules live in
services.py, reads in selectors.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView as DjangoLogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.decorators import otp_required
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.views import core as tf_core
from two_factor.views import profile as tf_profile
from two_factor.views.utils import IdempotentSessionWizardView

from . import selectors, services
from .forms import (
    BackupCodeForm,
    ChangePasswordForm,
    LoginForm,
    ReverifyForm,
    TokenForm,
    VerifyForm,
)

User = services.User


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once an account is locked (AXES_LOCKOUT_CALLABLE)."""
    return render(
        request,
        "security/locked.html",
        {"failure_limit": int(settings.AXES_FAILURE_LIMIT)},
        status=403,
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


# --- login (django-two-factor-auth's wizard with our forms) ----------------------------------------


class LoginView(tf_core.LoginView):
    """Step 1 username + password (throttled per IP, django-axes lockout per account); step 2 the
    authenticator code or a backup code when the user has a second factor. The class keeps
    two-factor's name so the wizard's form prefix stays `login_view`."""

    template_name = "two_factor/core/login.html"
    form_list = (
        (tf_core.LoginView.AUTH_STEP, LoginForm),
        (tf_core.LoginView.TOKEN_STEP, TokenForm),
        (tf_core.LoginView.BACKUP_STEP, BackupCodeForm),
    )

    def get_form(self, step: str | None = None, **kwargs: Any) -> Any:
        # two-factor's get_form swaps in its own token form class per device; ours handles the
        # authenticator and backup codes alike, so go straight to the wizard's get_form.
        form = IdempotentSessionWizardView.get_form(self, step=step, **kwargs)
        if self.show_timeout_error:
            form.cleaned_data = getattr(form, "cleaned_data", {})
            form.add_error(None, ValidationError(_("Your login timed out. Please log in again.")))
        return form

    def get_device(self, step: str | None = None) -> Any:
        if step == self.BACKUP_STEP:
            return selectors.backup_device_for(self.get_user())
        return super().get_device(step)

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(form, **kwargs)
        user = self.get_user()
        context["backup_tokens"] = selectors.unused_backup_code_count(user) if user else 0
        context["failure_limit"] = int(settings.AXES_FAILURE_LIMIT)
        return context


@method_decorator(sensitive_post_parameters(), name="dispatch")
class SetupView(tf_core.SetupView):
    """Enrolment of the authenticator app (QR code), audited."""

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(form, **kwargs)
        required = selectors.requires_two_factor(self.request.user)
        context["two_factor_required"] = required
        # Where 2FA is mandatory there is no way around enrolment but logging out.
        context["cancel_url"] = reverse("security:logout" if required else "two_factor:profile")
        return context

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().done(form_list, **kwargs)
        device = TOTPDevice.objects.filter(user=self.request.user, confirmed=True).last()
        services.note_otp_enrolled(user=self.request.user, device=device, request=self.request)
        return response


class SetupCompleteView(tf_core.SetupCompleteView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["backup_tokens"] = selectors.unused_backup_code_count(self.request.user)
        return context


class ProfileView(tf_profile.ProfileView):
    """Account security: second factor, backup codes, password age, sessions."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            {
                "backup_tokens": selectors.unused_backup_code_count(user),
                "two_factor_required": selectors.requires_two_factor(user),
                "password_expires_at": selectors.password_expires_at(user),
                "login_sessions": selectors.sessions_of(user),
                "current_session_key": self.request.session.session_key,
            }
        )
        return context


class DisableView(tf_profile.DisableView):
    """Turn off 2FA: refused where it is mandatory; removes the backup codes too."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and selectors.requires_two_factor(request.user):
            messages.error(request, _("Two-factor authentication is mandatory for your account."))
            return redirect("two_factor:profile")
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        services.remove_second_factor(
            user=self.request.user, actor=self.request.user, request=self.request
        )
        messages.success(self.request, _("Two-factor authentication is off."))
        return redirect(self.get_success_url())


@never_cache
@otp_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """GET: how many unused codes are left. POST: a new set of 10, shown this once."""
    codes: list[str] = []
    if request.method == "POST":
        codes = services.generate_backup_codes(user=request.user, request=request)
    return render(
        request,
        "security/backup_codes.html",
        {
            "codes": codes,
            "remaining": selectors.unused_backup_code_count(request.user),
            "form": Form(),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters()
def verify(request: HttpRequest) -> HttpResponse:
    """Second factor for a session that logged in without it (e.g. before enrolment elsewhere)."""
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if not selectors.two_factor_state(request.user).has_device:
        return redirect(f"{reverse('two_factor:setup')}?{urlencode({'next': next_url})}")
    form = VerifyForm(user=request.user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        django_otp.login(request, request.user.otp_device)  # type: ignore[union-attr]
        return redirect(next_url)
    return render(request, "security/verify.html", {"form": form, "next": next_url})


# --- password --------------------------------------------------------------------------------------


@never_cache
@login_required
@sensitive_post_parameters()
def password_change(request: HttpRequest) -> HttpResponse:
    reason = selectors.password_change_reason(request.user)
    form = ChangePasswordForm(user=request.user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(
            user=request.user,
            new_password=form.cleaned_data["new_password1"],
            request=request,
        )
        messages.success(request, _("Your password has been changed."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "security/password_change.html",
        {
            "form": form,
            "reason": reason,
            "max_age_days": int(settings.DMS_PASSWORD_MAX_AGE_DAYS),
            "history": int(getattr(settings, "DMS_PASSWORD_HISTORY", 5)),
        },
    )


# --- logout and sessions ---------------------------------------------------------------------------


class LogoutView(DjangoLogoutView):
    """POST logs out (CSRF protected); GET asks to confirm with a button."""

    http_method_names = ["get", "post", "options"]
    template_name = "security/logout.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        return render(request, self.template_name, {})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_logged_in = request.user.is_authenticated
        response: HttpResponse = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.info(request, _("You have been logged out."))
        return response


@require_POST
@login_required
def end_sessions(request: HttpRequest) -> HttpResponse:
    """Log out everywhere else: every other session and every API token of the user."""
    ended = services.end_all_sessions(
        user=request.user,
        actor=request.user,
        request=request,
        reason="user_request",
        keep_session_key=request.session.session_key,
    )
    messages.success(
        request, _("Ended %(count)d other sessions and API tokens.") % {"count": ended}
    )
    return redirect("two_factor:profile")


# --- locked accounts -------------------------------------------------------------------------------


def _require_unlock_rights(request: HttpRequest) -> selectors.UnlockRights:
    rights = selectors.unlock_rights(request.user)
    if not rights.any:
        raise PermissionDenied(_("Your role may not unlock accounts."))
    return rights


@never_cache
@login_required
def locked_accounts(request: HttpRequest) -> HttpResponse:
    rights = _require_unlock_rights(request)
    return render(
        request,
        "security/locked_accounts.html",
        {
            "accounts": selectors.locked_accounts_for(request.user),
            "rights": rights,
            "failure_limit": selectors.failure_limit(),
        },
    )


@require_POST
@login_required
def unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_unlock_rights(request)
    account = selectors.locked_account_for(request.user, user_id)  # 404 if not ours / not locked
    services.unlock_account(user=account.user, actor=request.user, request=request)
    messages.success(
        request, _("%(name)s is unlocked and can log in again.") % {"name": _label(account.user)}
    )
    return redirect("security:locked")


@require_POST
@login_required
def approve(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_unlock_rights(request)
    if user_id == request.user.pk:
        raise PermissionDenied(_("You cannot approve the unlock of your own account."))
    account = selectors.locked_account_for(request.user, user_id)
    try:
        outcome = services.approve_unlock(user=account.user, approver=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("security:locked")
    if outcome is services.UnlockOutcome.UNLOCKED:
        messages.success(
            request,
            _("Second approval recorded: %(name)s is unlocked.") % {"name": _label(account.user)},
        )
    else:
        messages.info(
            request,
            _("Approval recorded. A second colleague must approve before %(name)s is unlocked.")
            % {"name": _label(account.user)},
        )
    return redirect("security:locked")


def _label(user: Any) -> str:
    name: str = user.get_full_name() or user.get_username()
    return name


# --- user security page (admins) ---------------------------------------------------------------------

USER_ACTIONS = ("unlock", "force_password", "reset_2fa", "end_session", "end_all")


def _security_admin_scope(request: HttpRequest) -> selectors.SecurityAdminScope:
    from dealers.selectors import request_access

    scope = selectors.security_admin_scope(request.user, request_access(request))
    if not scope.any:
        raise PermissionDenied(_("Only admins manage other users' security."))
    return scope


@never_cache
@login_required
@sensitive_post_parameters("password", "otp_token")
def user_security(request: HttpRequest, pk: int) -> HttpResponse:
    """One account's security for an admin (dealer admin: their dealer's staff; HQ admin: all):
    lock, second factor, password, sessions, API token; POST `action` acts on it, audited.
    Resetting the second factor needs the admin's own password and second factor again."""
    scope = _security_admin_scope(request)  # 403 before any lookup
    subject = selectors.managed_user_for(scope, pk)  # 404 for others' and unknown ids
    is_self = subject.pk == request.user.pk
    reverify_form = ReverifyForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "reset_2fa" and is_self:
            messages.error(
                request,
                _("You cannot reset your own second factor here: use your account security page."),
            )
            return redirect("security:user", pk=subject.pk)
        if action == "reset_2fa":
            reverify_form = ReverifyForm(data=request.POST)
            reverify_form.is_valid()
            try:
                services.admin_reset_second_factor(
                    user=subject,
                    actor=request.user,
                    password=request.POST.get("password", ""),
                    code=request.POST.get("otp_token", ""),
                    request=request,
                )
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", None) or [str(error)])
                reverify_form.add_error(None, text)
                # A one-time code is not shown again (the password never is).
                shown = request.POST.copy()
                shown["otp_token"] = ""
                reverify_form.data = shown
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "The second factor of %(name)s is reset: they enrol again at their next "
                        "login."
                    )
                    % {"name": _label(subject)},
                )
                return redirect("security:user", pk=subject.pk)
        elif action in USER_ACTIONS:
            _user_action(request, subject, action)
            return redirect("security:user", pk=subject.pk)
        else:
            messages.error(request, _("Choose an action."))
            return redirect("security:user", pk=subject.pk)
    overview = selectors.user_security_overview(subject, scope)
    return render(
        request,
        "security/user_security.html",
        {
            "subject": subject,
            "overview": overview,
            "is_self": is_self,
            "reverify_form": reverify_form,
            "current_session_key": request.session.session_key,
            "failure_limit": selectors.failure_limit(),
            "max_age_days": int(settings.DMS_PASSWORD_MAX_AGE_DAYS),
            "back_url": (
                reverse("dealers:user-detail", args=[subject.pk])
                if scope.network
                else reverse("dealers:staff-list")
            ),
        },
        status=status,
    )


def _user_action(request: HttpRequest, subject: Any, action: str) -> None:
    name = _label(subject)
    actor = request.user
    try:
        if action == "unlock":
            if not selectors.is_locked(subject.get_username()):
                messages.info(request, _("%(name)s is not locked.") % {"name": name})
                return
            services.unlock_account(user=subject, actor=actor, request=request)
            messages.success(
                request, _("%(name)s is unlocked and can log in again.") % {"name": name}
            )
        elif action == "force_password":
            services.force_password_change(user=subject, actor=actor, request=request)
            messages.success(
                request,
                _("%(name)s must choose a new password at their next request.") % {"name": name},
            )
        elif action == "end_session":
            try:
                session_id = int(request.POST.get("session", ""))
            except ValueError:
                session_id = 0
            if services.end_session(
                user=subject, actor=actor, session_id=session_id, request=request
            ):
                messages.success(request, _("The session has ended."))
            else:
                messages.error(request, _("That session has already ended."))
        elif action == "end_all":
            keep = request.session.session_key if subject.pk == actor.pk else None
            ended = services.end_all_sessions(
                user=subject,
                actor=actor,
                request=request,
                reason="admin",
                keep_session_key=keep,
            )
            messages.success(
                request,
                _("Ended %(count)d sessions and API tokens of %(name)s.")
                % {"count": ended, "name": name},
            )
    except PermissionDenied as error:
        messages.error(request, str(error))
