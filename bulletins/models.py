"""HQ price lists with effective dates (shared reference tables)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriceList(models.Model):
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("price list")

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from})"


class PriceListItem(models.Model):
    """A price for a catalogue code: a trim, a colour or an option/accessory."""

    class Kind(models.TextChoices):
        TRIM = "trim", _("Trim")
        COLOUR = "colour", _("Colour")
        OPTION = "option", _("Option")
        ACCESSORY = "accessory", _("Accessory")

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=30)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("price list item")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "kind", "code"], name="pricelist_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="pricelist_price_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}: {self.price}"
