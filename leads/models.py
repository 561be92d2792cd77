"""Visitor log, customers, leads, grading, follow-ups, notifications: the consultant's day."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dms.accounts.language import in_reader_language
from dms.kpi.dirty import KpiSource
from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel
from leads.reference.messages import hq_text
from leads.timeline_lines import render_row

USER = settings.AUTH_USER_MODEL


# --- HQ reference data (shared tables) -----------------------------------------------------------


class LeadSource(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), default=60
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("lead source")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name for pages: HQ's default name in the reader's language, a custom one as typed
        (the stored name, which the API returns, stays as it is)."""
        return hq_text(self.name)


class Grade(models.Model):
    """HQ-set prospect grade with its follow-up cadence (H every 2 days, A 3, B 7, C 14)."""

    code = models.CharField(_("code"), max_length=1, unique=True)
    name = models.CharField(_("name"), max_length=50)
    purchase_within_days = models.PositiveIntegerField(_("purchase within (days)"), default=0)
    follow_up_every_days = models.PositiveIntegerField(
        _("follow up every (days)"), null=True, blank=True
    )
    meaning = models.CharField(_("meaning"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("grade")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def display_name(self) -> str:
        return hq_text(self.name)

    @property
    def display_meaning(self) -> str:
        return hq_text(self.meaning)


class LostReason(models.Model):
    """HQ list; a lead closes as lost only with one of these (and a manager's approval)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lost reason")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The reason for pages: HQ's default text translated, a custom one as typed."""
        return hq_text(self.name)


class Stage(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    VISITED = "visited", _("Visited")
    TEST_DRIVE = "test_drive", _("Test drive")
    QUOTE = "quote", _("Quote")
    ORDER = "order", _("Order")
    DELIVERED = "delivered", _("Delivered")
    LOST = "lost", _("Lost")
    DORMANT = "dormant", _("Dormant")


FUNNEL_STAGES = [
    Stage.NEW,
    Stage.CONTACTED,
    Stage.VISITED,
    Stage.TEST_DRIVE,
    Stage.QUOTE,
    Stage.ORDER,
    Stage.DELIVERED,
]
CLOSED_STAGES = [Stage.DELIVERED, Stage.LOST, Stage.DORMANT]


# --- tenant data ---------------------------------------------------------------------------------


class Customer(TenantModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Payment(models.TextChoices):
        UNKNOWN = "", _("Not known yet")
        CASH = "cash", _("Cash")
        FINANCE = "finance", _("Finance")
        LEASE = "lease", _("Lease")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    # Normalised identifiers: phone in E.164, email lower-cased, national id upper-cased without
    # spaces. Empty means "not given"; uniqueness per dealer applies only when given.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_alt = models.CharField(_("other phone"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    national_id = models.CharField(_("national ID"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # Needs and preferences (the customer card)
    models_of_interest = models.ManyToManyField(  # type: ignore[var-annotated]
        "inventory.VehicleModel",
        through="CustomerModelInterest",
        blank=True,
        related_name="+",
        verbose_name=_("models of interest"),
    )
    budget = models.DecimalField(
        _("budget"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    payment = models.CharField(
        _("payment"), max_length=10, choices=Payment.choices, blank=True, default=""
    )
    trade_in = models.CharField(_("trade-in vehicle"), max_length=200, blank=True)
    driving_preferences = models.TextField(_("driving preferences"), blank=True)
    competitor_models = models.CharField(
        _("competitor models considered"), max_length=200, blank=True
    )
    interests = models.CharField(_("interests"), max_length=200, blank=True)
    # Contact consent per channel, with the date it was given (null = no consent)
    consent_phone_at = models.DateTimeField(_("phone consent"), null=True, blank=True)
    consent_email_at = models.DateTimeField(_("email consent"), null=True, blank=True)
    consent_sms_at = models.DateTimeField(_("SMS consent"), null=True, blank=True)
    consent_post_at = models.DateTimeField(_("post consent"), null=True, blank=True)
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultant"),
    )
    owner_since = models.DateTimeField(_("served since"), null=True, blank=True)
    merged_into = TenantForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            *TenantModel.Meta.constraints,
            # Dedupe, enforced by PostgreSQL: safe under concurrent registrations.
            models.UniqueConstraint(
                fields=["dealer", "phone"],
                condition=~Q(phone="") & Q(merged_into__isnull=True),
                name="customer_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["dealer", "email"],
                condition=~Q(email="") & Q(merged_into__isnull=True),
                name="customer_unique_email",
            ),
            models.UniqueConstraint(
                fields=["dealer", "national_id"],
                condition=~Q(national_id="") & Q(merged_into__isnull=True),
                name="customer_unique_national_id",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "owner", "-updated_at"], name="customer_owner"),
            models.Index(fields=["dealer", "last_name", "first_name"], name="customer_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY and self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip() or self.phone or self.email


class CustomerModelInterest(TenantModel):
    """Through table of Customer.models_of_interest: a tenant table like its owner."""

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel", on_delete=models.PROTECT, related_name="+"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "customer", "vehicle_model"], name="customer_model_interest_once"
            ),
        ]


class Lead(KpiSource, TenantModel):
    """One purchase opportunity of a customer, moving through the funnel."""

    customer = TenantForeignKey(Customer, on_delete=models.PROTECT, related_name="leads")
    consultant = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultant"),
    )
    # Sales credit for won deals stays with whoever closed it, even after reassignment.
    credited_to = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credited to"),
    )
    source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="+")
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("model of interest"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.NEW)
    grade = models.CharField(_("grade"), max_length=1, blank=True, default="")
    is_open = models.BooleanField(_("open"), default=True)
    in_pool = models.BooleanField(_("in lead pool"), default=False)
    pooled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lost_note = models.CharField(_("lost note"), max_length=300, blank=True)
    # Lost needs the sales manager's approval: the request waits here until decided.
    lost_requested_at = models.DateTimeField(null=True, blank=True)
    lost_requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(grade__in=["", "H", "A", "B", "C", "O"]), name="lead_grade_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_open=False) | Q(closed_at__isnull=True), name="lead_open_not_closed"
            ),
        ]
        indexes = [
            models.Index(
                fields=["dealer", "consultant", "is_open", "-last_activity_at"],
                name="lead_consultant_open",
            ),
            models.Index(fields=["dealer", "stage", "created_at"], name="lead_stage"),
            models.Index(fields=["dealer", "customer"], name="lead_customer"),
            models.Index(
                fields=["dealer", "pooled_at"], condition=Q(in_pool=True), name="lead_pool"
            ),
            models.Index(
                fields=["dealer", "first_response_due"],
                condition=Q(first_response_at__isnull=True, is_open=True),
                name="lead_awaiting_response",
            ),
            # The lead list's default view (open, not pooled, newest activity first, NULLS LAST
            # as LeadTable orders it): a consultant's own and the manager's whole dealer.
            models.Index(
                F("dealer"),
                F("consultant"),
                F("last_activity_at").desc(nulls_last=True),
                F("id").desc(),
                condition=Q(is_open=True, in_pool=False),
                name="lead_open_list_consultant",
            ),
            models.Index(
                F("dealer"),
                F("last_activity_at").desc(nulls_last=True),
                F("id").desc(),
                condition=Q(is_open=True, in_pool=False),
                name="lead_open_list_dealer",
            ),
            # The KPI rollup: leads first answered on a day.
            models.Index(
                fields=["dealer", "first_response_at"],
                condition=Q(first_response_at__isnull=False),
                name="lead_first_response_day",
            ),
            # The approvals inbox: lost requests waiting for the manager, oldest first.
            models.Index(
                fields=["dealer", "lost_requested_at", "id"],
                condition=Q(is_open=True, lost_requested_at__isnull=False),
                name="lead_lost_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer} ({self.get_stage_display()})"


class GradeChange(TenantModel):
    """The prospect-grade progression table: every grade a lead has had, when and by whom.
    `consultant` is who held the lead at that moment (a snapshot, never updated by
    reassignment or a handover): the grade-progression report credits the row to them."""

    lead = TenantForeignKey(Lead, on_delete=models.CASCADE, related_name="grade_changes")
    from_grade = models.CharField(max_length=1, blank=True)
    to_grade = models.CharField(max_length=1)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    consultant = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # read by dealer (and lead), never looked up by consultant alone
        related_name="+",
        verbose_name=_("consultant"),
    )

    class Meta(TenantModel.Meta):
        ordering = ["changed_at"]
        constraints = TenantModel.Meta.constraints
        indexes = [models.Index(fields=["dealer", "lead", "changed_at"], name="grade_change_lead")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The snapshot defaults to the lead's consultant when the row is first written.
        if self._state.adding and self.consultant_id is None and self.lead_id is not None:
            self.consultant_id = self.lead.consultant_id
        super().save(*args, **kwargs)


class StageChange(KpiSource, TenantModel):
    """One move of a lead between stages. `consultant` is who held the lead at that moment (a
    snapshot, never updated by reassignment): the KPI facts credit stage entries to them."""

    lead = TenantForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    consultant = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # read by dealer and day, never looked up by consultant alone
        related_name="+",
        verbose_name=_("consultant"),
    )

    class Meta(TenantModel.Meta):
        ordering = ["changed_at"]
        constraints = TenantModel.Meta.constraints
        indexes = [
            models.Index(fields=["dealer", "lead", "changed_at"], name="stage_change_lead"),
            models.Index(fields=["dealer", "to_stage", "changed_at"], name="stage_change_stage"),
            # The KPI rollup reads one day's changes of every stage.
            models.Index(fields=["dealer", "changed_at"], name="stage_change_day"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The snapshot defaults to the lead's consultant when the row is first written.
        if self._state.adding and self.consultant_id is None and self.lead_id is not None:
            self.consultant_id = self.lead.consultant_id
        super().save(*args, **kwargs)


class Visit(KpiSource, TenantModel):
    """The visitor register: every walk-in and call, who served them, how long, outcome."""

    class Kind(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        PHONE = "phone", _("Phone call")

    class Outcome(models.TextChoices):
        INFO = "info", _("Information given")
        APPOINTMENT = "appointment", _("Appointment made")
        TEST_DRIVE = "test_drive", _("Test drive")
        QUOTE = "quote", _("Quote given")
        ORDER = "order", _("Order signed")
        NO_INTEREST = "no_interest", _("No interest")

    kind = models.CharField(_("visit or call"), max_length=10, choices=Kind.choices)
    customer = TenantForeignKey(Customer, on_delete=models.PROTECT, related_name="visits")
    lead = TenantForeignKey(
        Lead, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    served_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("served by")
    )
    source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="+")
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    arrived_at = models.DateTimeField(_("arrived"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-arrived_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("arrived_at")),
                name="visit_left_after_arrival",
            ),
            models.CheckConstraint(
                condition=Q(party_size__gte=1), name="visit_party_size_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "arrived_at"], name="visit_day"),
            models.Index(fields=["dealer", "served_by", "arrived_at"], name="visit_served_by"),
        ]


class TimelineEvent(TenantModel):
    """One line of a customer's timeline: visits, calls, test drives, quotes, orders, deliveries,
    handovers, later service. Written by the services that do the work."""

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    lead = TenantForeignKey(Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30)
    summary = models.CharField(_("summary"), max_length=300)  # as written (writer's language)
    # The line as message (English msgid) and parameters, shown in the reader's language (text);
    # empty for lines written as plain text (notes, lines stored before).
    message = models.CharField(max_length=300, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ref_type = models.CharField(max_length=50, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-at", "-id"]
        constraints = [
            *TenantModel.Meta.constraints,
        ]
        indexes = [models.Index(fields=["dealer", "customer", "-at"], name="timeline_customer")]

    @property
    def text(self) -> str:
        """The line in the reader's language; as written when it has no message (or its
        parameters no longer fit it)."""
        if not self.message:
            return self.summary
        try:
            return render_row(self.message, self.params)
        except (KeyError, ValueError, TypeError, ImportError, AttributeError):
            return self.summary


class FollowUp(KpiSource, TenantModel):
    """A planned contact: a row with a due time (never only a queued message)."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", _("Grade follow-up")
        FIRST_RESPONSE = "first_response", _("First response")
        CALLBACK = "callback", _("Call back")
        AFTER_DELIVERY = "after_delivery", _("After-delivery call")
        OTHER = "other", _("Other")

    class Result(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_REACHED = "not_reached", _("Not reached")
        APPOINTMENT = "appointment", _("Appointment made")
        NOT_INTERESTED = "not_interested", _("Not interested")

    lead = TenantForeignKey(Lead, on_delete=models.CASCADE, related_name="follow_ups")
    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # A note the system wrote ("Covered by: …", "Delivered"), in every language (language code ->
    # text; dms.accounts.language.every_language): shown in the reader's. Empty for a person's.
    note_texts = models.JSONField(default=dict, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    rescheduled_from = models.DateTimeField(null=True, blank=True)
    reschedule_reason = models.CharField(_("reschedule reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["due_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            # At most one open follow-up of a kind per lead: cadence re-planning is idempotent.
            models.UniqueConstraint(
                fields=["dealer", "lead", "kind"],
                condition=Q(done_at__isnull=True) & ~Q(kind="after_delivery"),
                name="followup_one_open_per_kind",
            ),
        ]
        indexes = [
            # My day's sections: an index-only walk of the first rows of each, in due order.
            models.Index(
                fields=["dealer", "owner", "due_at", "id"],
                condition=Q(done_at__isnull=True),
                name="followup_open_owner_due_id",
            ),
            models.Index(
                fields=["dealer", "due_at"],
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
                name="followup_to_remind",
            ),
            # The KPI rollup: follow-ups due on a day (done or not).
            models.Index(fields=["dealer", "due_at"], name="followup_due_day"),
        ]

    @property
    def shown_note(self) -> str:
        """The note in the active (reader's) language when the system wrote it."""
        return in_reader_language(self.note_texts, self.note)


class Notification(TenantModel):
    """In-app notification. A follow-up reminder is unique per follow-up: running the reminder
    task twice creates no duplicate."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)  # in the reader's language when it was written
    # The text in every language (language code -> text): the list shows the reader's current
    # one, whatever language they read in when it was written (or the sender wrote in).
    texts = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    follow_up = TenantForeignKey(
        FollowUp, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "follow_up", "user"],
                condition=Q(follow_up__isnull=False),
                name="notification_once_per_follow_up",
            ),
        ]
        indexes = [
            models.Index(
                fields=["dealer", "user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    @property
    def shown_text(self) -> str:
        """The text in the active (reader's) language."""
        return in_reader_language(self.texts, self.text)


class OwnershipClaim(TenantModel):
    """A consultant asks to take over a colleague's customer; the sales manager decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    current_owner = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "customer", "claimant"],
                condition=Q(status="pending"),
                name="claim_one_pending_per_claimant",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "created_at"], name="claim_status"),
        ]


class LeadSettings(TenantModel):
    """Per-dealer funnel settings. A dealer without a row works with the HQ defaults
    (leads/reference/grades.json); managers change them on the funnel settings page."""

    class Routing(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LOAD = "load", _("By load (fewest open leads)")

    routing = models.CharField(
        _("lead routing"), max_length=16, choices=Routing.choices, default=Routing.ROUND_ROBIN
    )
    auto_reassign = models.BooleanField(
        _("reassign leads untouched past their first-response deadline"), default=False
    )
    pool_after_days = models.PositiveIntegerField(
        _("pool leads after (days without activity)"),
        null=True,
        blank=True,
        help_text=_("Empty: the HQ default."),
    )
    max_open_leads = models.PositiveIntegerField(
        _("open leads per consultant (cap)"),
        null=True,
        blank=True,
        help_text=_("Empty: the HQ default."),
    )
    stale_after_days = models.PositiveIntegerField(
        _("lead is stale after (days without activity)"), default=14
    )
    email_reminders = models.BooleanField(_("also email follow-up reminders"), default=False)
    # Round-robin pointer: the consultant who got the last routed lead.
    last_routed_to = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("lead settings")
        verbose_name_plural = _("lead settings")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer"], name="lead_settings_one_per_dealer"),
            models.CheckConstraint(
                condition=Q(max_open_leads__isnull=True) | Q(max_open_leads__gte=1),
                name="lead_settings_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(pool_after_days__isnull=True) | Q(pool_after_days__gte=1),
                name="lead_settings_pool_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(stale_after_days__gte=1), name="lead_settings_stale_days_positive"
            ),
        ]
