from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords (no reuse of the last N)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="pwhistory_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class UnlockApproval(models.Model):
    """Dual control: one colleague's approval to unlock a locked account. A second, distinct
    colleague of the same dealer completes the unlock; approvals expire with the lockout."""

    locked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unlock_requests"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unlock_approvals"
    )
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["locked_user", "approver"],
                condition=models.Q(used=False),
                name="unlock_one_open_approval_per_approver",
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} approves unlock of {self.locked_user_id}"


class UserSession(models.Model):
    """Maps a login session to its user, so all of a user's sessions can be listed and ended."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("login session")

    def __str__(self) -> str:
        return f"{self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class HashedBackupCode(models.Model):
    """One-time backup codes, stored hashed (django-otp's static tokens are plain text)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes"
    )
    code_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} {'used' if self.used_at else 'unused'}"


class BackupCodeDevice(ThrottlingMixin, TimestampMixin, Device):
    """django-otp device whose tokens are the user's hashed one-time backup codes.

    It replaces django-otp's StaticDevice, which keeps its tokens in plain text. A code is
    checked against the hashes of the user's unused HashedBackupCode rows and marked used on
    success, so each code works once. Failures are throttled like any django-otp device."""

    class Meta:
        verbose_name = _("backup code set")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_BACKUP_CODE_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        verify_allowed, _extra = self.verify_is_allowed()
        if not verify_allowed:
            return False
        from .backup_codes import normalise_code

        code = normalise_code(str(token))
        match: HashedBackupCode | None = None
        if code:
            unused = HashedBackupCode.objects.select_for_update().filter(
                user_id=self.user_id, used_at__isnull=True
            )
            match = next((row for row in unused if check_password(code, row.code_hash)), None)
        if match is None:
            self.throttle_increment(commit=True)
            return False
        # The conditional UPDATE makes a concurrent second use of the same code fail.
        used = HashedBackupCode.objects.filter(pk=match.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:
            self.throttle_increment(commit=True)
            return False
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True
