"""Reads about customers: who may see which card, dedupe matches, the non-leaking conflict info.

Visibility (one helper, "not found" alike for missing and forbidden):
- managers (Cap.SALES_ALL) see every customer of their dealer;
- consultants (Cap.SALES_OWN only) see the customers they own, plus customers whose lead waits in
  the dealer's lead pool (they may claim it there);
- everything is inside the tenant scope, so another dealer's customer never appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer, Membership
from dealers.roles import DEALER_ROLE_CAPS, Cap
from dealers.selectors import Access
from leads.models import Customer, Lead, Stage, TimelineEvent

CLAIM_TOKEN_SALT = "leads.ownership-claim"  # noqa: S105 - a signing salt, not a secret
CLAIM_TOKEN_MAX_AGE = 60 * 60 * 24  # a day to file the claim after the conflict was shown


@dataclass(frozen=True)
class ConflictInfo:
    """All a consultant learns about a colleague's customer they tried to register: who serves
    them, since when, at which stage. `claim_token` is an opaque signed reference that lets them
    file an ownership claim without ever seeing the card (or its id)."""

    owner_name: str
    since: datetime | None
    stage: str
    claim_token: str = ""


def person_name(user: Any) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.get_username()


def capabilities_of(actor: Any, dealer: Dealer | int) -> frozenset[str]:
    """The actor's capabilities at one dealer, from their active membership (services use it to
    re-check what views already checked)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return frozenset()
    dealer_id: int = dealer if isinstance(dealer, int) else dealer.pk
    role = (
        Membership.objects.filter(user_id=actor.pk, dealer_id=dealer_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    return DEALER_ROLE_CAPS.get(role or "", frozenset())


def sees_all_customers(actor: Any, dealer: Dealer | int) -> bool:
    return Cap.SALES_ALL in capabilities_of(actor, dealer)


def _pool_lead() -> Exists:
    return Exists(
        Lead.objects.filter(
            dealer_id=OuterRef("dealer_id"), customer=OuterRef("pk"), in_pool=True, is_open=True
        )
    )


def customers_visible_to(access: Access, *, include_merged: bool = False) -> QuerySet[Customer]:
    """Customers the caller may open. Must run inside the request's tenant scope."""
    qs = Customer.objects.all()
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    if access.can(Cap.SALES_ALL):
        return qs
    if access.can(Cap.SALES_OWN) and access.user_id is not None:
        return qs.filter(Q(owner_id=access.user_id) | _pool_lead())
    return qs.none()


def customers_for_user(*, user: Any, dealer: Dealer) -> QuerySet[Customer]:
    """Same rule as customers_visible_to, for code that has a user and dealer instead of an
    Access (API serializers, services)."""
    qs = Customer.objects.filter(merged_into__isnull=True)
    caps = capabilities_of(user, dealer)
    if Cap.SALES_ALL in caps:
        return qs
    if Cap.SALES_OWN in caps:
        return qs.filter(Q(owner_id=user.pk) | _pool_lead())
    return qs.none()


def customer_list(access: Access) -> QuerySet[Customer]:
    return customers_visible_to(access).select_related("owner").order_by("-updated_at", "-id")


def find_matches(*, phone: str = "", email: str = "", national_id: str = "") -> list[Customer]:
    """Active (not merged) customers of the scope's dealer holding any of the normalised
    identifiers, best match first: national ID, then phone (main or other), then e-mail."""
    q = Q()
    if phone:
        q |= Q(phone=phone) | Q(phone_alt=phone)
    if email:
        q |= Q(email=email)
    if national_id:
        q |= Q(national_id=national_id)
    if not q:
        return []
    found = list(Customer.objects.filter(q, merged_into__isnull=True).order_by("pk"))

    def rank(c: Customer) -> tuple[int, int]:
        if national_id and c.national_id == national_id:
            return (0, c.pk)
        if phone and c.phone == phone:
            return (1, c.pk)
        if phone and c.phone_alt == phone:
            return (2, c.pk)
        return (3, c.pk)

    return sorted(found, key=rank)


def current_stage_label(customer: Customer) -> str:
    lead = (
        Lead.objects.filter(customer=customer)
        .order_by("-is_open", "-created_at", "-id")
        .only("stage", "is_open")
        .first()
    )
    if lead is None:
        return _("no lead yet")
    return str(Stage(lead.stage).label)


def make_claim_token(*, customer: Customer, claimant: Any) -> str:
    return signing.dumps(
        {"d": customer.dealer_id, "c": customer.pk, "u": claimant.pk}, salt=CLAIM_TOKEN_SALT
    )


def read_claim_token(token: str, *, dealer: Dealer, claimant: Any) -> Customer | None:
    """The customer a claim token points at, if the token is genuine, fresh, issued to this
    claimant at this dealer. Anything else: None (the caller answers "not found")."""
    try:
        data = signing.loads(token, salt=CLAIM_TOKEN_SALT, max_age=CLAIM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("d") != dealer.pk or data.get("u") != claimant.pk:
        return None
    customer_id = data.get("c")
    if not isinstance(customer_id, int):
        return None
    return Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()


def conflict_info(*, customer: Customer, actor: Any) -> ConflictInfo:
    return ConflictInfo(
        owner_name=person_name(customer.owner),
        since=customer.owner_since,
        stage=current_stage_label(customer),
        claim_token=make_claim_token(customer=customer, claimant=actor),
    )


def timeline_of(customer: Customer) -> QuerySet[TimelineEvent]:
    """Every line of a customer's timeline, newest first."""
    return (
        TimelineEvent.objects.filter(customer=customer)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def leads_of(customer: Customer) -> QuerySet[Lead]:
    return (
        Lead.objects.filter(customer=customer)
        .select_related("consultant", "source", "vehicle_model")
        .order_by("-is_open", "-created_at")
    )


# --- timeline labels ---------------------------------------------------------------------------

_TIMELINE_KINDS: list[tuple[str, Any, str]] = [
    # (kind or kind prefix, label, Bootstrap Icons name)
    ("visit", gettext_lazy("Walk-in"), "door-open"),
    ("call", gettext_lazy("Call"), "telephone"),
    ("email", gettext_lazy("E-mail"), "envelope"),
    ("note", gettext_lazy("Note"), "sticky"),
    ("lead_opened", gettext_lazy("Lead"), "funnel"),
    ("stage", gettext_lazy("Stage"), "signpost-split"),
    ("grade", gettext_lazy("Grade"), "bar-chart-steps"),
    ("step", gettext_lazy("Playbook"), "list-check"),
    ("test_drive", gettext_lazy("Test drive"), "car-front"),
    ("quote", gettext_lazy("Quote"), "file-earmark-text"),
    ("order", gettext_lazy("Order"), "bag-check"),
    ("payment", gettext_lazy("Payment"), "cash-coin"),
    ("deliver", gettext_lazy("Delivery"), "truck"),
    ("follow_up", gettext_lazy("Follow-up"), "alarm"),
    ("consent", gettext_lazy("Consent"), "shield-check"),
    ("ownership", gettext_lazy("Ownership"), "person-check"),
    ("assign", gettext_lazy("Assignment"), "person-check"),
    ("unassigned", gettext_lazy("Assignment"), "person-dash"),
    ("claim", gettext_lazy("Claim"), "flag"),
    ("merge", gettext_lazy("Merge"), "intersect"),
    ("created", gettext_lazy("Card"), "person-vcard"),
    ("contact_elsewhere", gettext_lazy("Contact"), "person-exclamation"),
    ("lost", gettext_lazy("Lost"), "x-circle"),
    ("dormant", gettext_lazy("Dormant"), "moon"),
    ("escalation", gettext_lazy("Escalation"), "exclamation-triangle"),
    ("approval", gettext_lazy("Approval"), "check2-square"),
    ("decision", gettext_lazy("Decision"), "check2-square"),
    ("service", gettext_lazy("Service"), "wrench-adjustable"),
]


def timeline_label(kind: str) -> tuple[str, str]:
    """Readable label and icon for a timeline line's kind (services may add new kinds freely)."""
    for prefix, label, icon in _TIMELINE_KINDS:
        if kind == prefix or kind.startswith(prefix):
            return str(label), icon
    return kind.replace("_", " ").capitalize(), "dot"


@dataclass(frozen=True)
class TimelineRow:
    event: TimelineEvent
    label: str
    icon: str


def timeline_rows(events: Any) -> list[TimelineRow]:
    rows = []
    for event in events:
        label, icon = timeline_label(event.kind)
        rows.append(TimelineRow(event=event, label=label, icon=icon))
    return rows
