from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class HqRole(models.TextChoices):
    REGIONAL_MANAGER = "hq_regional_manager", _("HQ regional manager")
    ADMIN = "hq_admin", _("HQ admin")


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

    @property
    def is_hq(self) -> bool:
        return bool(self.hq_role)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
