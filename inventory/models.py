"""HQ vehicle catalogue (shared reference tables: Citus reference tables later)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VehicleModel(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    body = models.CharField(_("body"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("model")
        verbose_name_plural = _("models")

    def __str__(self) -> str:
        return self.name


class Trim(models.Model):
    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.PROTECT, related_name="trims")
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("trim")

    def __str__(self) -> str:
        return f"{self.vehicle_model.name} {self.name}"


class Colour(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("colour")

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """Factory options and dealer-fitted accessories."""

    class Kind(models.TextChoices):
        OPTION = "option", _("Option")
        ACCESSORY = "accessory", _("Accessory")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OPTION)

    class Meta:
        ordering = ["code"]
        verbose_name = _("option")

    def __str__(self) -> str:
        return self.name
