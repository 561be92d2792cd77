"""One row per import job: who, which file, which kind, how far, what it found and did.

HQ bookkeeping (no dealer_id): kept on the Citus coordinator (dms/tenancy/placement.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Errors found")  # nothing can be applied
        READY = "ready", _("Checked: ready to apply")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")  # the file could not be read, or the job broke
        CANCELLED = "cancelled", _("Cancelled")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("applied by"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    # What the rows go into when the kind has several (Importer.targets), e.g. a price list id.
    target = models.CharField(_("into"), max_length=40, blank=True)
    target_label = models.CharField(_("into"), max_length=200, blank=True)
    file_name = models.CharField(_("file"), max_length=200)  # as uploaded, shown only
    stored_name = models.CharField(_("stored as"), max_length=80)  # generated, under MEDIA_ROOT
    size = models.PositiveBigIntegerField(_("size"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    task_id = models.CharField(_("task"), max_length=50, blank=True)  # the running Celery task
    rows = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    removed_count = models.PositiveIntegerField(_("removed"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [row, column, value, message], the first DMS_IMPORT_ERRORS_KEPT of them.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # [change, key, field, old, new], the first DMS_IMPORT_CHANGES_KEPT lines of the dry run.
    changes = models.JSONField(_("changes"), default=list, blank=True)
    # Digest of the whole dry run: apply refuses when the data changed since it was shown.
    changes_digest = models.CharField(max_length=64, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)  # counts/ids once applied
    failure = models.CharField(_("failure"), max_length=500, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # seconds per step (bench, support)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def kind_label(self) -> str:
        from .engine import importer_class  # noqa: PLC0415 - the engine is not a model module

        cls = importer_class(self.kind)
        return str(cls.label) if cls is not None else self.kind

    @property
    def running(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.CHECKING, self.Status.APPLYING)
