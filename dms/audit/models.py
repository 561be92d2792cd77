"""Append-only audit log. Written only through dms.audit.services.record()."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Account locked")
    UNLOCK_REQUESTED = "unlock_requested", _("Unlock approved (first of two)")
    UNLOCK = "unlock", _("Account unlocked")
    PASSWORD_CHANGE = "password_change", _("Password changed")
    PASSWORD_FORCE = "password_force", _("Password change forced")
    OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    OTP_RESET = "otp_reset", _("Second factor reset")
    BACKUP_CODES = "backup_codes", _("Backup codes generated")
    ROLE_CHANGE = "role_change", _("Role changed")
    USER_CHANGE = "user_change", _("User changed")
    DEALER_CHANGE = "dealer_change", _("Dealer changed")
    SESSION_END = "session_end", _("Session ended")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    EXPORT = "export", _("Export")
    BULK_CHANGE = "bulk_change", _("Bulk change")
    PERMISSION_CHANGE = "permission_change", _("Permission changed")
    ACCESS_DENIED = "access_denied", _("Access denied")
    # Sales funnel decisions and changes (issue 3)
    STEP_WAIVED = "step_waived", _("Playbook step waived")
    LOST_APPROVED = "lost_approved", _("Lost lead approved")
    LOST_REJECTED = "lost_rejected", _("Lost lead rejected")
    LEAD_REASSIGNED = "lead_reassigned", _("Lead reassigned")
    LEAD_CLAIMED = "lead_claimed", _("Pool lead claimed")
    DISCOUNT_APPROVED = "discount_approved", _("Discount approved")
    DISCOUNT_REJECTED = "discount_rejected", _("Discount rejected")
    CLAIM_DECIDED = "claim_decided", _("Ownership claim decided")
    CUSTOMERS_MERGED = "customers_merged", _("Customers merged")
    SETTINGS_CHANGE = "settings_change", _("Settings changed")
    REFERENCE_CHANGE = "reference_change", _("HQ reference data changed")
    # Parts stock (issue 15)
    STOCK_ADJUSTED = "stock_adjusted", _("Stock adjusted")
    STOCK_TRANSFER = "stock_transfer", _("Stock transferred between dealers")
    STOCK_COUNT = "stock_count", _("Stock count approved")
    NETWORK_STOCK_READ = "network_stock_read", _("Network stock looked up")
    # Vehicle stock (issue 15): allocations, reservations, state changes, deliveries
    VEHICLE_STOCK = "vehicle_stock", _("Vehicle stock changed")
    # Parts orders to the importer (issue 15, item 7)
    PARTS_ORDER_SENT = "parts_order_sent", _("Parts order sent")
    PARTS_ORDER_CANCELLED = "parts_order_cancelled", _("Parts order cancelled")
    PARTS_ORDER_CONFIRMED = "parts_order_confirmed", _("Parts order confirmed")
    PARTS_ORDER_SHIPPED = "parts_order_shipped", _("Parts order shipped")
    PARTS_ORDER_RECEIVED = "parts_order_received", _("Parts shipment received")


class AuditEntry(models.Model):
    """Who did what, where, to what, how many, from where, when (UTC). Never changed, never
    deleted: the runtime database role has no UPDATE/DELETE on this table and a trigger refuses
    them for everyone else."""

    at = models.DateTimeField(_("time (UTC)"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dealer"),
    )
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    count = models.PositiveIntegerField(_("count"), default=1)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["dealer", "-at"], name="audit_dealer_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries are append-only")
