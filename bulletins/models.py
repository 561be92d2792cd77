"""HQ → dealer channel: price lists with effective dates and bulletins (HQ reference tables), and
who received and acknowledged each bulletin (tenant data)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.roles import DealerRole
from dms.tenancy.models import TenantModel


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


# --- bulletins with acknowledgement (issue 14, item 5) -------------------------------------------
# A bulletin, its versions and its targeting are HQ reference data (no dealer_id, written by HQ
# services only). Who received, opened and acknowledged it is tenant data: one BulletinRecipient
# row per targeted user per dealer, under the dealer's RLS.


class Bulletin(models.Model):
    """HQ → dealer message. `body` is sanitised HTML (bulletins.services.sanitise, nh3) written
    only by the services. `version` counts every published revision; `ack_version` is the
    version an acknowledgement must be of (raised by a revision that asks for re-acknowledgement),
    so a recipient has acknowledged when `acknowledged_version >= ack_version`."""

    class Category(models.TextChoices):
        COMMERCIAL = "commercial", _("Commercial")
        TECHNICAL = "technical", _("Technical")
        PROCESS = "process", _("Process")
        RECALL = "recall", _("Recall notice")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    requires_ack = models.BooleanField(_("acknowledgement required"), default=False)
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    ack_version = models.PositiveIntegerField(_("version to acknowledge"), default=1)
    # Targeting. Dealers: the whole network, or the union of the chosen regions' dealers, the
    # chosen groups' dealers and the chosen dealers. Roles: the chosen roles, or every role when
    # none is chosen. Inactive dealers, memberships and accounts never receive anything.
    all_dealers = models.BooleanField(_("whole network"), default=False)
    target_regions = models.ManyToManyField(
        "dealers.Region", blank=True, related_name="+", verbose_name=_("regions")
    )
    target_groups = models.ManyToManyField(
        "dealers.DealerGroup", blank=True, related_name="+", verbose_name=_("dealer groups")
    )
    target_dealers = models.ManyToManyField(
        "dealers.Dealer", blank=True, related_name="+", verbose_name=_("dealers")
    )
    target_roles = ArrayField(
        models.CharField(max_length=32, choices=DealerRole.choices),
        default=list,
        blank=True,
        verbose_name=_("roles"),
    )
    live_until = models.DateTimeField(
        _("shown until"),
        null=True,
        blank=True,
        help_text=_("Empty: shown until withdrawn."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requires_ack=False) | models.Q(ack_deadline__isnull=False),
                name="bulletin_ack_needs_deadline",
                violation_error_message=_("A bulletin to acknowledge needs a deadline."),
            ),
            models.CheckConstraint(
                condition=models.Q(ack_version__lte=models.F("version")),
                name="bulletin_ack_version_le_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "ack_deadline"],
                condition=models.Q(requires_ack=True),
                name="bulletin_ack_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BulletinVersion(models.Model):
    """What each published version said, who published it and when (HQ reference data). The
    bulletin row holds the current text; this is its history."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    requires_reack = models.BooleanField(_("asks for acknowledgement again"), default=False)
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"))

    class Meta:
        ordering = ["bulletin", "number"]
        verbose_name = _("bulletin version")
        verbose_name_plural = _("bulletin versions")
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "number"], name="bulletin_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} v{self.number}"


class BulletinAttachment(models.Model):
    """A file that goes with a bulletin (HQ reference data). Stored under MEDIA_ROOT with a
    generated name (`stored_name`), never the uploader's; its type was checked by its content
    (bulletins.attachments). Handed out only by the download view, to the bulletin's readers
    and HQ."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("bulletin")
    )
    filename = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=100, unique=True)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["bulletin", "filename", "id"]
        verbose_name = _("bulletin attachment")
        verbose_name_plural = _("bulletin attachments")

    def __str__(self) -> str:
        return self.filename


class BulletinTally(models.Model):
    """Network projection (DESIGN.md, "Network data and tenant data"): how many of one dealer's
    staff one bulletin reaches, how many opened it and how many acknowledged the round it asks
    for. Counts only, never a person: HQ's compliance figures read these 170 rows instead of
    3,000 reading records under 170 dealers' RLS. Written only by bulletins.services, in the
    same transaction as the reading records it counts (publish, open, acknowledge, revise,
    members joining and leaving); tests/bulletins/test_tally.py pins its columns and checks it
    against a recount."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    dealer = models.ForeignKey(
        "dealers.Dealer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    recipients = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bulletin tally")
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "dealer"], name="bulletin_tally_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} @ {self.dealer_id}: {self.acknowledged}/{self.recipients}"


class BulletinRecipient(TenantModel):
    """One targeted user at one dealer (tenant data: the dealer's own staff's reading record).

    `opened_version` / `acknowledged_version`: the last version opened / acknowledged (0: never);
    `opened_at` / `acknowledged_at`: when that happened first for that round. `reminded_round` /
    `escalated_round`: the `ack_version` a deadline reminder / an escalation to the dealer's
    managers was sent for (0: none), so each goes out once per round. `retired_at`: the user no
    longer belongs to the audience (left the dealer or changed role); kept for the record,
    left out of inboxes and compliance figures."""

    bulletin = models.ForeignKey(
        Bulletin,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("bulletin"),
        db_index=False,  # bulletin_recipient_compliance starts with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("staff member"),
        # Every read names the dealer too (bulletin_recipient_inbox); a user_id index of its own
        # made the planner fetch the heap for the inbox counts instead of the index only.
        db_index=False,
    )
    role = models.CharField(_("role"), max_length=32, choices=DealerRole.choices)
    created_at = models.DateTimeField(_("received"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    opened_version = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_version = models.PositiveIntegerField(default=0)
    reminded_round = models.PositiveIntegerField(default=0)
    escalated_round = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulletin recipient")
        verbose_name_plural = _("bulletin recipients")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "bulletin", "user"], name="bulletin_recipient_once"
            ),
        ]
        indexes = [
            # A user's inbox at the dealer they work in, newest first, and its counts: an
            # index-only scan (the counts need nothing else of the row).
            models.Index(
                fields=["dealer", "user", "-created_at", "-bulletin"],
                include=["opened_version", "acknowledged_version"],
                condition=models.Q(retired_at__isnull=True),
                name="bulletin_recipient_inbox",
            ),
            # One bulletin's figures per dealer (compliance), also index-only.
            models.Index(
                fields=["bulletin", "dealer"],
                include=["acknowledged_version", "opened_at"],
                condition=models.Q(retired_at__isnull=True),
                name="bulletin_recipient_compliance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} → {self.user_id}"
