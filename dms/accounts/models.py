from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# The database's name for the rule below; services map its IntegrityError to a form message.
ACTIVE_EMAIL_CONSTRAINT = "user_active_email_ci_unique"
EMAIL_TAKEN_MESSAGE = _("Another active user already has this e-mail address.")


class HqRole(models.TextChoices):
    REGIONAL_MANAGER = "hq_regional_manager", _("HQ regional manager")
    ADMIN = "hq_admin", _("HQ admin")
    LOGISTICS = "hq_logistics", _("HQ logistics / aftersales")


class User(AbstractUser):
    """A person who logs in. Dealer roles come from dealers.Membership; HQ roles live here."""

    hq_role = models.CharField(
        _("HQ role"), max_length=32, choices=HqRole.choices, blank=True, default=""
    )
    preferred_language = models.CharField(_("language"), max_length=10, blank=True, default="")
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    onboarding = models.BooleanField(
        _("onboarding"), default=False, help_text=_("New staff see playbook guidance expanded.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # One active account per e-mail address, whatever its case (password resets and
            # notifications must reach one person); disabled accounts and blank addresses are free.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(is_active=True) & ~models.Q(email=""),
                name=ACTIVE_EMAIL_CONSTRAINT,
                violation_error_message=EMAIL_TAKEN_MESSAGE,
            )
        ]

    @property
    def is_hq(self) -> bool:
        return bool(self.hq_role)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
