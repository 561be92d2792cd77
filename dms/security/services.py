"""Writes for accounts and security. Every one of them goes to the audit log.

Lockout, unlock (admin alone or two colleagues: dual control), per-IP login throttling, backup
codes, password changes and history, login sessions and API tokens. docs/security.md explains the
policy behind each.
"""

from __future__ import annotations

import enum
import time
from importlib import import_module
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from dealers.roles import Cap
from dms.audit.models import AuditAction
from dms.audit.services import client_ip, record

from . import backup_codes
from .models import BackupCodeDevice, HashedBackupCode, PasswordHistory, UnlockApproval, UserSession
from .selectors import (
    live_sessions_of,
    locked_account_for,
    primary_dealer_id,
    requires_two_factor,
    roles_with,
    unlock_rights,
)

User = get_user_model()

LOGIN_AT_SESSION_KEY = "dms_login_at"


# --- login: per-IP throttling and the audit trail -------------------------------------------------


def _ip_key(ip: str) -> str:
    return f"dms:security:login-failures:{ip}"


def ip_failure_count(ip: str | None) -> int:
    if not ip:
        return 0
    return int(cache.get(_ip_key(ip), 0) or 0)


def ip_throttled(ip: str | None) -> bool:
    """Too many failed logins from this address in the current window (any usernames)."""
    return ip_failure_count(ip) >= int(settings.DMS_IP_THROTTLE_FAILURES)


def count_ip_failure(ip: str | None) -> int:
    """One more failed login from `ip`; the window starts with the first failure (fixed
    window, kept in the cache so every web process sees it). Success does not reset it: one
    valid account must not buy an attacker fresh guesses."""
    if not ip:
        return 0
    key = _ip_key(ip)
    cache.add(key, 0, timeout=int(settings.DMS_IP_THROTTLE_WINDOW_SECONDS))
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(settings.DMS_IP_THROTTLE_WINDOW_SECONDS))
        return 1


def _user_by_username(username: str | None) -> Any:
    if not username:
        return None
    return User.objects.filter(username=username).first()


def _audit_login_name(
    action: str, *, request: HttpRequest | None, username: str | None, **detail: Any
) -> None:
    """Audit what happened to the name typed at login: under its account and that account's
    dealer when there is one; the name itself (at most a username's 150 characters) either way."""
    user = _user_by_username(username)
    record(
        action=action,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={"username": (username or "")[:150], **detail},
    )


def note_failed_login(*, request: HttpRequest | None, username: str | None, reason: str) -> None:
    """A refused password login: count it against the client's IP and audit it."""
    ip = client_ip(request)
    if reason != "ip_throttled":
        count_ip_failure(ip)
    _audit_login_name(AuditAction.LOGIN_FAILED, request=request, username=username, reason=reason)


def note_lockout(*, request: HttpRequest | None, username: str | None) -> None:
    _audit_login_name(
        AuditAction.LOCKOUT,
        request=request,
        username=username,
        failures=int(settings.AXES_FAILURE_LIMIT),
    )


def note_second_factor_failure(*, user: Any, request: HttpRequest | None = None) -> None:
    record(
        action=AuditAction.LOGIN_FAILED,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={"username": user.get_username(), "reason": "second_factor"},
    )


# --- sessions -------------------------------------------------------------------------------------


def register_session(*, request: HttpRequest, user: Any) -> None:
    """At login: remember the login time (absolute lifetime) and which sessions are the user's
    (so they can all be ended), and audit the login."""
    session = request.session
    session[LOGIN_AT_SESSION_KEY] = int(time.time())
    if session.session_key is None:
        session.save()
    key = session.session_key or ""
    # Forget this user's sessions that expired meanwhile (idle timeout: no logout happened).
    UserSession.objects.filter(user=user).exclude(
        pk__in=live_sessions_of(user).values("pk")
    ).delete()
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )
    device = getattr(user, "otp_device", None)
    record(
        action=AuditAction.LOGIN,
        actor=user,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={"second_factor": device._meta.label if device is not None else ""},
    )


def forget_session(*, request: HttpRequest, user: Any, reason: str = "logout") -> None:
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()
    if user is not None:
        record(
            action=AuditAction.LOGOUT,
            actor=user,
            dealer=primary_dealer_id(user),
            obj=user,
            request=request,
            detail={"reason": reason},
        )


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_all_sessions(
    *,
    user: Any,
    actor: Any,
    request: HttpRequest | None,
    reason: str = "ended",
    keep_session_key: str | None = None,
) -> int:
    """End every login session and delete every API token of `user` (all but
    `keep_session_key`, the caller's own session after a password change). Returns how many
    sessions and tokens ended; audits when there was anything to end."""
    store = _session_store()
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    tokens, _detail = Token.objects.filter(user=user).delete()
    ended = len(keys) + tokens
    if ended:
        record(
            action=AuditAction.SESSION_END,
            actor=actor,
            dealer=primary_dealer_id(user),
            obj=user,
            count=ended,
            request=request,
            detail={"reason": reason, "sessions": len(keys), "tokens": tokens},
        )
    return ended


# --- lockout and unlock ----------------------------------------------------------------------------


class UnlockOutcome(enum.Enum):
    APPROVED = "approved"  # first of two approvals recorded; still locked
    UNLOCKED = "unlocked"


def _unlock(
    user: Any,
    *,
    actor: Any,
    dealer_id: int | None,
    request: HttpRequest | None,
    mode: str,
    **detail: Any,
) -> None:
    """Lift the lock (the failed attempts, the approvals still open) and audit who unlocked it
    and how (``mode``): an admin alone and dual control both end here."""
    axes_reset(username=user.get_username())
    UnlockApproval.objects.filter(locked_user=user, used=False).update(used=True)
    record(
        action=AuditAction.UNLOCK,
        actor=actor,
        dealer=dealer_id,
        obj=user,
        request=request,
        detail={"mode": mode, "username": user.get_username(), **detail},
    )


def unlock_account(*, user: Any, actor: Any, request: HttpRequest | None) -> None:
    """An admin unlocks a locked account alone: a dealer admin for their dealer's staff, an HQ
    admin for anyone. Another dealer's account or one not locked: Http404."""
    if actor.pk == user.pk:
        raise PermissionDenied(_("You cannot unlock your own account."))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        account = locked_account_for(actor, user.pk)
        if not account.can_unlock:
            raise PermissionDenied(
                _("Your role may only approve an unlock; a second colleague must approve too.")
            )
        rights = unlock_rights(actor)
        shared = sorted(rights.alone_dealers & account.dealer_ids)
        dealer_id = shared[0] if shared else primary_dealer_id(user)
        _unlock(user, actor=actor, dealer_id=dealer_id, request=request, mode="admin")


def approve_unlock(*, user: Any, approver: Any, request: HttpRequest | None) -> UnlockOutcome:
    """Dual control: a colleague of the same dealer holding the unlock right approves; when two
    distinct colleagues have approved during this lockout, the account is unlocked. The locked
    user cannot approve; the same colleague approving twice counts once."""
    if approver.pk == user.pk:
        raise PermissionDenied(_("You cannot approve the unlock of your own account."))
    with transaction.atomic():
        # Serialise approvals of one account so two concurrent approvals both count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        account = locked_account_for(approver, user.pk)
        shared = sorted(unlock_rights(approver).approve_dealers & account.dealer_ids)
        if not shared:
            raise PermissionDenied(_("Your role may not approve unlocks at this dealer."))
        dealer_id = shared[0]
        # Approvals from an earlier lockout do not count for this one.
        UnlockApproval.objects.filter(
            locked_user=user, used=False, created_at__lt=account.lock.since
        ).update(used=True)
        if UnlockApproval.objects.filter(locked_user=user, approver=approver, used=False).exists():
            raise ValidationError(
                _("You have already approved this unlock. A second colleague must approve it."),
                code="already_approved",
            )
        UnlockApproval.objects.create(locked_user=user, approver=approver, dealer_id=dealer_id)
        # Count approvals of colleagues who still hold the right at this dealer.
        approvers = set(
            UnlockApproval.objects.filter(
                locked_user=user,
                used=False,
                dealer_id=dealer_id,
                approver__is_active=True,
                approver__memberships__dealer_id=dealer_id,
                approver__memberships__is_active=True,
                approver__memberships__role__in=roles_with(Cap.UNLOCK),
            ).values_list("approver_id", flat=True)
        )
        approvers.discard(user.pk)
        if len(approvers) >= 2:
            _unlock(
                user,
                actor=approver,
                dealer_id=dealer_id,
                request=request,
                mode="dual_control",
                approvers=sorted(approvers),
            )
            return UnlockOutcome.UNLOCKED
        record(
            action=AuditAction.UNLOCK_REQUESTED,
            actor=approver,
            dealer=dealer_id,
            obj=user,
            request=request,
            detail={"mode": "dual_control", "username": user.get_username()},
        )
        return UnlockOutcome.APPROVED


# --- second factor ---------------------------------------------------------------------------------


def note_otp_enrolled(*, user: Any, device: Any, request: HttpRequest | None) -> None:
    record(
        action=AuditAction.OTP_ENROLLED,
        actor=user,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={"device": device._meta.label if device is not None else ""},
    )


def generate_backup_codes(*, user: Any, request: HttpRequest | None) -> list[str]:
    """A fresh set of one-time backup codes; earlier codes stop working. Only hashes are
    stored (Django's password hasher: Argon2 in production); the codes are returned once, for
    the user to write down. django-otp's plain-text static tokens are removed."""
    codes = [backup_codes.new_code() for _ in range(backup_codes.CODES_PER_SET)]
    with transaction.atomic():
        HashedBackupCode.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        HashedBackupCode.objects.bulk_create(
            HashedBackupCode(user=user, code_hash=make_password(code)) for code in codes
        )
        device, _created = BackupCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "backup", "confirmed": True}
        )
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        record(
            action=AuditAction.BACKUP_CODES,
            actor=user,
            dealer=primary_dealer_id(user),
            obj=user,
            count=len(codes),
            request=request,
        )
    return [backup_codes.display_code(code) for code in codes]


def remove_second_factor(*, user: Any, actor: Any, request: HttpRequest | None) -> None:
    """Delete every OTP device and backup code of `user` (lost phone: an admin resets it, the
    user enrols again at next login). Users for whom 2FA is mandatory cannot do it themselves."""
    if actor.pk == user.pk and requires_two_factor(user):
        raise PermissionDenied(_("Two-factor authentication is mandatory for your account."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
        HashedBackupCode.objects.filter(user=user).delete()
        record(
            action=AuditAction.OTP_RESET,
            actor=actor,
            dealer=primary_dealer_id(user),
            obj=user,
            request=request,
        )


# --- passwords ---------------------------------------------------------------------------------------


def remember_password(*, user: Any) -> None:
    """Called after every save that set a new password (signal): keep its hash for the reuse
    check and stamp the change time (also when the save listed only `password`)."""
    now = timezone.now()
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = int(getattr(settings, "DMS_PASSWORD_HISTORY", 5))
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[keep:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    User.objects.filter(pk=user.pk).update(password_changed_at=now)
    user.password_changed_at = now


def change_password(*, user: Any, new_password: str, request: HttpRequest) -> None:
    """The user sets a new password (already validated by the form: Django's validators and the
    history of the last 5). Keeps this session, ends the others and the API tokens."""
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        old_key = request.session.session_key
        update_session_auth_hash(request, user)  # new session key, this session stays valid
        new_key = request.session.session_key
        if old_key and new_key and old_key != new_key:
            UserSession.objects.filter(session_key=old_key).update(session_key=new_key)
        end_all_sessions(
            user=user,
            actor=user,
            request=request,
            reason="password_change",
            keep_session_key=new_key,
        )
        record(
            action=AuditAction.PASSWORD_CHANGE,
            actor=user,
            dealer=primary_dealer_id(user),
            obj=user,
            request=request,
        )


def force_password_change(*, user: Any, actor: Any, request: HttpRequest | None) -> None:
    """An admin requires `user` to choose a new password at their next request."""
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.must_change_password = True
    record(
        action=AuditAction.PASSWORD_FORCE,
        actor=actor,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
    )


# --- API tokens -------------------------------------------------------------------------------------


def issue_api_token(*, user: Any, request: HttpRequest) -> Token:
    """A new API token (the previous one stops working). The caller has checked the session is
    verified with the second factor where 2FA applies."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        record(
            action=AuditAction.TOKEN_ISSUED,
            actor=user,
            dealer=primary_dealer_id(user),
            obj=user,
            request=request,
        )
    return token


# --- admin operations on another user's account (user security page) --------------------------------

REVERIFY_FAILURE_LIMIT = 5
REVERIFY_WINDOW_SECONDS = 15 * 60


def _reverify_key(actor: Any) -> str:
    return f"dms:security:reverify-failures:{actor.pk}"


def _check_second_factor(actor: Any, code: str) -> bool:
    """The actor's current TOTP code or one of their unused backup codes (used up on success)."""
    token = "".join((code or "").split())
    if not token:
        return False
    with transaction.atomic():
        if token.isdigit():
            devices = TOTPDevice.objects.filter(user=actor, confirmed=True).order_by("id")
            return any(device.verify_token(token) for device in devices)
        device = BackupCodeDevice.objects.filter(user=actor, confirmed=True).first()
        return device is not None and bool(device.verify_token(backup_codes.normalise_code(token)))


def reverify_admin(
    *, actor: Any, password: str, code: str, request: HttpRequest | None, user: Any, operation: str
) -> None:
    """The acting admin proves again who they are before a sensitive change to `user`: their own
    current password AND a current authenticator code (or one backup code). Raises
    ValidationError (nothing changed) and audits the failed attempt; after
    REVERIFY_FAILURE_LIMIT failures within REVERIFY_WINDOW_SECONDS further attempts are refused
    until the window ends."""
    key = _reverify_key(actor)
    failures = int(cache.get(key, 0) or 0)
    reason = ""
    if failures >= REVERIFY_FAILURE_LIMIT:
        reason = "throttled"
    elif not password or not actor.check_password(password):
        reason = "password"
    elif not _check_second_factor(actor, code):
        reason = "second_factor"
    if not reason:
        cache.delete(key)
        return
    if reason != "throttled":
        cache.add(key, 0, timeout=REVERIFY_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=REVERIFY_WINDOW_SECONDS)
    record(
        action=AuditAction.ACCESS_DENIED,
        actor=actor,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={
            "operation": operation,
            "reason": f"reverification_failed:{reason}",
            "username": user.get_username(),
        },
    )
    if reason == "throttled":
        raise ValidationError(
            _("Too many failed confirmations. Wait %(minutes)d minutes and try again.")
            % {"minutes": REVERIFY_WINDOW_SECONDS // 60},
            code="throttled",
        )
    raise ValidationError(
        _(
            "Confirmation failed: enter your own current password and the current code from "
            "your authenticator app (or one of your unused backup codes). Nothing was changed."
        ),
        code="reverification_failed",
    )


def admin_reset_second_factor(
    *, user: Any, actor: Any, password: str, code: str, request: HttpRequest | None
) -> None:
    """An admin resets another user's second factor (lost phone) after re-verifying themselves.
    An admin's own second factor is managed on their account security page, not here."""
    if actor.pk == user.pk:
        raise PermissionDenied(
            _("You cannot reset your own second factor here: use your account security page.")
        )
    reverify_admin(
        actor=actor,
        password=password,
        code=code,
        request=request,
        user=user,
        operation="otp_reset",
    )
    remove_second_factor(user=user, actor=actor, request=request)


def end_session(*, user: Any, actor: Any, session_id: int, request: HttpRequest | None) -> bool:
    """End one login session of `user` (its id on the user security page). False when there
    is no such live session of this user (already ended or someone else's)."""
    row = UserSession.objects.filter(user=user, pk=session_id).first()
    if row is None:
        return False
    if request is not None and row.session_key == request.session.session_key:
        raise PermissionDenied(_("This is your current session: log out instead."))
    _session_store()(session_key=row.session_key).delete()
    row.delete()
    record(
        action=AuditAction.SESSION_END,
        actor=actor,
        dealer=primary_dealer_id(user),
        obj=user,
        request=request,
        detail={"reason": "admin", "sessions": 1, "tokens": 0, "ip": row.ip or ""},
    )
    return True
