"""HQ catalogue: vehicles (models, trims, colours, options), parts and labour operations.

HQ reference tables (Citus reference tables), written only through inventory.services; each keeps
its history (who changed what, when) in a django-pghistory event table."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.utils.translation import gettext_lazy as _


@pghistory.track()
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


@pghistory.track()
class Trim(models.Model):
    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.PROTECT, related_name="trims")
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("trim")

    def __str__(self) -> str:
        return f"{self.vehicle_model.name} {self.name}"


@pghistory.track()
class Colour(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("colour")

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Option(models.Model):
    """Factory options and dealer-fitted accessories."""

    class Kind(models.TextChoices):
        OPTION = "option", _("Option")
        ACCESSORY = "accessory", _("Accessory")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OPTION)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("option")

    def __str__(self) -> str:
        return self.name


# --- parts and labour catalogue (issue 14, item 1) -----------------------------------------------
# HQ reference data: no dealer_id, written only through inventory.services (which record who
# changed what in a pghistory context); every row keeps its history in a pghistory event table.


@pghistory.track()
class PartGroup(models.Model):
    """A family of parts (filters, brakes, body…): parts price lists may give a dealer discount
    per group."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("part group")
        verbose_name_plural = _("part groups")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@pghistory.track()
class Part(models.Model):
    """A part number of the importer's catalogue. `number` is text as printed on the box:
    leading zeros and letters are significant."""

    class Unit(models.TextChoices):
        PIECE = "pc", _("piece")
        SET = "set", _("set")
        PAIR = "pair", _("pair")
        LITRE = "l", _("litre")
        METRE = "m", _("metre")
        KILOGRAM = "kg", _("kilogram")

    number = models.CharField(_("part number"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices, default=Unit.PIECE)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    group = models.ForeignKey(
        PartGroup, on_delete=models.PROTECT, related_name="parts", verbose_name=_("part group")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=True) | models.Q(weight_kg__gte=0),
                name="part_weight_non_negative",
            ),
            models.CheckConstraint(condition=~models.Q(number=""), name="part_number_not_empty"),
        ]
        indexes = [
            # Search by the start of a number, any case: UPPER(number) LIKE 'ABC%'. The
            # pattern operator class lets LIKE use the index whatever the database collation
            # (a plain index serves LIKE only under the "C" collation).
            models.Index(
                OpClass(models.functions.Upper("number"), name="text_pattern_ops"),
                name="part_number_upper",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


# Deleted too: HQ may remove a replacement (inventory.services.remove_supersession).
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PartSupersession(models.Model):
    """`part` is replaced by `replaced_by` from `valid_from` on. A part has at most one
    successor; chains (A→B→C) resolve to the last part in force on a day; a loop is refused
    by the service (inventory.services.supersede) and by the import."""

    part = models.OneToOneField(
        Part, on_delete=models.PROTECT, related_name="supersession", verbose_name=_("part")
    )
    replaced_by = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="supersedes", verbose_name=_("replaced by")
    )
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["part__number"]
        verbose_name = _("supersession")
        verbose_name_plural = _("supersessions")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(part=models.F("replaced_by")),
                name="supersession_not_itself",
                violation_error_message=_("A part cannot replace itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} → {self.replaced_by_id} ({self.valid_from})"


@pghistory.track()
class LabourGrade(models.Model):
    """A grade of workshop labour (e.g. mechanical, electrical, body): HQ recommends an hourly
    rate per grade in the labour price list; each dealer sets its own rate within HQ's bounds."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("labour grade")
        verbose_name_plural = _("labour grades")

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class LabourOperation(models.Model):
    """An operation of the importer's labour catalogue with its standard time. It applies to
    the models listed in LabourOperationModel, or to every model when none is listed."""

    code = models.CharField(_("operation code"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=200)
    grade = models.ForeignKey(
        LabourGrade, on_delete=models.PROTECT, related_name="operations", verbose_name=_("grade")
    )
    standard_hours = models.DecimalField(_("standard time (h)"), max_digits=6, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)
    vehicle_models: models.ManyToManyField[VehicleModel, LabourOperationModel] = (
        models.ManyToManyField(
            VehicleModel,
            through="LabourOperationModel",
            blank=True,
            related_name="labour_operations",
            verbose_name=_("models"),
        )
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(standard_hours__gt=0),
                name="labour_operation_hours_positive",
                violation_error_message=_("The standard time must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class LabourOperationModel(models.Model):
    """Which models an operation applies to (its own table, so the history sees changes)."""

    operation = models.ForeignKey(LabourOperation, on_delete=models.CASCADE, related_name="+")
    vehicle_model = models.ForeignKey(VehicleModel, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("model of a labour operation")
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "vehicle_model"], name="labour_operation_model_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} / {self.vehicle_model_id}"


# Tenant and HQ tables of the dealer's stock live in their own modules (imported here so that
# Django registers them with the inventory app).
from .orders.models import *  # noqa: E402,F403
from .stock.models import *  # noqa: E402,F403
from .vehicles.models import *  # noqa: E402,F403
