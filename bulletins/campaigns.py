"""Technical campaigns (recalls and service actions): HQ defines the campaign with its labour
operation and parts, loads the affected VINs (strictly: every row checked, nothing loaded unless
all are valid), and publishes it with a recall-notice bulletin to the dealers concerned. The
workshop (issue 16) reports each completed VIN through `record_completion`; the stock module
(issue 15) asks `is_stop_sale` before delivering a vehicle.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from dealers.models import Dealer
from dealers.roles import DealerRole
from dms.audit.services import record_reference_change
from dms.vin import validate_vin
from inventory.models import LabourOperation, Part

from . import services as bulletin_services
from .models import Bulletin, CampaignPart, CampaignVehicle, TechnicalCampaign

# Who receives a campaign's bulletin at the dealers concerned.
CAMPAIGN_ROLES = (DealerRole.SERVICE_ADVISOR, DealerRole.PARTS_CLERK, DealerRole.DEALER_MANAGER)


@dataclass(frozen=True)
class RowError:
    """One refused row of an import: the row as the user numbers it (header = row 1)."""

    row: int
    column: str
    message: str
    value: str = ""  # the refused cell as written


class ImportRefused(ValidationError):
    """Nothing was loaded: every refused row, with its row number and column."""

    def __init__(self, errors: list[RowError]) -> None:
        self.row_errors = errors
        super().__init__(
            [
                _("Row %(row)d, %(column)s: %(message)s")
                % {"row": e.row, "column": e.column, "message": e.message}
                for e in errors
            ]
        )


@dataclass(frozen=True)
class VehicleListChange:
    added: int
    kept: int
    removed: int


def _audit(
    campaign: TechnicalCampaign, actor: Any, change: str, request: Any, **detail: Any
) -> None:
    record_reference_change(obj=campaign, actor=actor, change=change, request=request,
                            campaign=campaign.code, **detail)  # fmt: skip


@transaction.atomic
def create_campaign(
    *,
    actor: Any,
    code: str,
    title: str,
    kind: str,
    labour_operation: LabourOperation,
    description: str = "",
    stop_sale: bool = False,
    parts: Sequence[tuple[Part, Decimal]] = (),
    request: HttpRequest | None = None,
) -> TechnicalCampaign:
    """A draft campaign (dealers see nothing until it is published)."""
    bulletin_services._check_hq_author(actor)
    errors: dict[str, str] = {}
    code = (code or "").strip().upper()
    if not code:
        errors["code"] = _("Enter a campaign code.")
    elif TechnicalCampaign.objects.filter(code=code).exists():
        errors["code"] = _("A campaign with this code exists already.")
    if not (title or "").strip():
        errors["title"] = _("Enter a title.")
    if kind not in TechnicalCampaign.Kind.values:
        errors["kind"] = _("Choose recall or service action.")
    if len({part.pk for part, _qty in parts}) != len(parts):
        errors["parts"] = _("A part is listed twice.")
    if any(qty is None or qty <= 0 for _part, qty in parts):
        errors["parts"] = _("Each part needs a quantity above zero.")
    if errors:
        raise ValidationError(errors)
    campaign = TechnicalCampaign.objects.create(
        code=code,
        title=title.strip(),
        kind=kind,
        description=description.strip(),
        labour_operation=labour_operation,
        stop_sale=stop_sale,
        created_by=actor,
    )
    CampaignPart.objects.bulk_create(
        CampaignPart(campaign=campaign, part=part, quantity=qty) for part, qty in parts
    )
    _audit(campaign, actor, "created", request)
    return campaign


def check_vehicle_rows(
    rows: Iterable[Mapping[str, str]],
    *,
    first_row: int = 2,
    row_numbers: Sequence[int] | None = None,
) -> tuple[dict[str, int | None], list[RowError]]:
    """The affected-vehicles list read as text (columns `vin` and optional `dealer`, a dealer
    code): VIN → responsible dealer id, and every refused row. Checks each VIN (dms.vin),
    duplicates within the list and unknown dealer codes. Rows are numbered from `first_row`,
    or by `row_numbers` (a file's own row numbers, blank rows left out)."""
    dealer_ids = dict(Dealer.objects.values_list("code", "pk"))
    vins: dict[str, int | None] = {}
    seen_at: dict[str, int] = {}
    errors: list[RowError] = []
    numbers = row_numbers if row_numbers is not None else itertools.count(first_row)
    for number, row in zip(numbers, rows, strict=False):
        raw = (row.get("vin") or "").strip()
        if not raw and not (row.get("dealer") or "").strip():
            continue  # a blank line
        try:
            vin = validate_vin(raw)
        except ValidationError as exc:
            errors.append(RowError(number, "vin", " ".join(exc.messages), raw))
            continue
        if vin in seen_at:
            errors.append(
                RowError(
                    number,
                    "vin",
                    _("%(vin)s is listed twice (first in row %(row)d).")
                    % {"vin": vin, "row": seen_at[vin]},
                    raw,
                )
            )
            continue
        seen_at[vin] = number
        code = (row.get("dealer") or "").strip().upper()
        if code and code not in dealer_ids:
            errors.append(
                RowError(
                    number, "dealer", _("Unknown dealer code %(code)s.") % {"code": code}, code
                )
            )
            continue
        vins[vin] = dealer_ids.get(code) if code else None
    return vins, errors


def repaired_vins(campaign: TechnicalCampaign) -> set[str]:
    """The campaign's vehicles already repaired (a new list must keep them)."""
    return set(campaign.vehicles.filter(completed_at__isnull=False).values_list("vin", flat=True))


@transaction.atomic
def set_affected_vehicles(
    *,
    actor: Any,
    campaign: TechnicalCampaign,
    rows: Iterable[Mapping[str, str]],
    dry_run: bool = False,
    first_row: int = 2,
    row_numbers: Sequence[int] | None = None,
    request: HttpRequest | None = None,
) -> VehicleListChange:
    """Replace the campaign's affected-vehicles list with `rows`, all or nothing. A vehicle
    already repaired may not be dropped. `dry_run`: only say what would change. `first_row`:
    the number of the first row as the user counts (2 in a file under its header; 1 when the
    list is pasted)."""
    bulletin_services._check_hq_author(actor)
    campaign = TechnicalCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == TechnicalCampaign.Status.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    wanted, errors = check_vehicle_rows(rows, first_row=first_row, row_numbers=row_numbers)
    if not wanted and not errors:
        raise ValidationError(_("The list has no vehicle."))
    current = dict(campaign.vehicles.values_list("vin", "completed_at"))
    dropped_done = sorted(v for v, done in current.items() if done and v not in wanted)
    if dropped_done:
        errors.append(
            RowError(
                0,
                "vin",
                _("Already repaired, cannot be removed: %(vins)s.")
                % {"vins": ", ".join(dropped_done)},
            )
        )
    if errors:
        raise ImportRefused(errors)
    change = VehicleListChange(
        added=len(wanted.keys() - current.keys()),
        kept=len(wanted.keys() & current.keys()),
        removed=len(current.keys() - wanted.keys()),
    )
    if dry_run:
        return change
    campaign.vehicles.exclude(vin__in=list(wanted)).delete()
    CampaignVehicle.objects.bulk_create(
        [CampaignVehicle(campaign=campaign, vin=v, dealer_id=d) for v, d in wanted.items()],
        update_conflicts=True,
        unique_fields=["campaign", "vin"],
        update_fields=["dealer"],
        batch_size=5000,
    )
    _audit(campaign, actor, "vehicles", request, added=change.added, removed=change.removed,
           total=len(wanted))  # fmt: skip
    return change


def _bulletin_body(campaign: TechnicalCampaign) -> str:
    """The recall bulletin's text, from the campaign (every value escaped: text, never markup)."""
    op = campaign.labour_operation
    parts = format_html_join(
        "", "<li>{} {} × {}</li>",
        ((p.part.number, p.part.description, p.quantity.normalize())
         for p in campaign.parts.select_related("part")),
    )  # fmt: skip
    lines = [
        format_html("<p>{}</p>", campaign.description) if campaign.description else "",
        format_html(
            "<p><strong>{}</strong> {} {} ({} h)</p>",
            _("Labour operation:"),
            op.code,
            op.description,
            op.standard_hours,
        ),  # fmt: skip
        format_html("<p><strong>{}</strong></p><ul>{}</ul>", _("Parts:"), parts) if parts else "",
        format_html(
            "<p><strong>{}</strong></p>",
            _("Stop-sale: affected vehicles in stock may not be delivered until the work is done."),
        )
        if campaign.stop_sale
        else "",
    ]
    return "".join(lines)


@transaction.atomic
def publish_campaign(
    *,
    actor: Any,
    campaign: TechnicalCampaign,
    ack_deadline: dt.datetime,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Bulletin:
    """Publish the campaign and its recall-notice bulletin, to acknowledge by `ack_deadline`,
    sent to the service advisors, parts clerks and managers of the dealers responsible for the
    affected vehicles (the whole network when a vehicle has no responsible dealer)."""
    bulletin_services._check_hq_author(actor)
    now = now or timezone.now()
    campaign = TechnicalCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != TechnicalCampaign.Status.DRAFT:
        raise ValidationError(_("This campaign is already published."))
    vehicles = campaign.vehicles.all()
    if not vehicles.exists():
        raise ValidationError(_("Load the affected vehicles before publishing."))
    everywhere = vehicles.filter(dealer__isnull=True).exists()
    dealers = [] if everywhere else list(Dealer.objects.filter(
        pk__in=vehicles.values("dealer_id"), is_active=True))  # fmt: skip
    recall = campaign.kind == TechnicalCampaign.Kind.RECALL
    bulletin = bulletin_services.create_draft(
        actor=actor,
        title=f"{campaign.code}: {campaign.title}",
        body=_bulletin_body(campaign),
        category=Bulletin.Category.RECALL if recall else Bulletin.Category.TECHNICAL,
        priority=Bulletin.Priority.URGENT if recall else Bulletin.Priority.HIGH,
        requires_ack=True,
        ack_deadline=ack_deadline,
        all_dealers=everywhere,
        dealers=dealers,
        roles=CAMPAIGN_ROLES,
        request=request,
    )
    bulletin_services.publish(bulletin=bulletin, actor=actor, request=request, now=now)
    campaign.bulletin = bulletin
    campaign.status = TechnicalCampaign.Status.PUBLISHED
    campaign.published_at = now
    campaign.save(update_fields=["bulletin", "status", "published_at"])
    _audit(campaign, actor, "published", request, vehicles=vehicles.count())
    return bulletin


@transaction.atomic
def close_campaign(*, actor: Any, campaign: TechnicalCampaign, request: HttpRequest | None = None,
                   now: dt.datetime | None = None) -> None:  # fmt: skip
    """End a published campaign: its vehicles are no longer flagged, nor on stop-sale."""
    bulletin_services._check_hq_author(actor)
    updated = TechnicalCampaign.objects.filter(
        pk=campaign.pk, status=TechnicalCampaign.Status.PUBLISHED
    ).update(status=TechnicalCampaign.Status.CLOSED, closed_at=now or timezone.now())
    if not updated:
        raise ValidationError(_("Only a published campaign can be closed."))
    _audit(campaign, actor, "closed", request)


def record_completion(*, vin: str, dealer: Dealer, when: dt.datetime | None = None) -> int:
    """The workshop did the campaigns' work on `vin` at `dealer` (called by the repair-order
    service when it closes the job). Marks every open published campaign of that VIN done,
    once: repeating it changes nothing. Returns how many campaigns it completed."""
    return CampaignVehicle.objects.filter(
        vin=validate_vin(vin),
        completed_at__isnull=True,
        campaign__status=TechnicalCampaign.Status.PUBLISHED,
    ).update(completed_at=when or timezone.now(), completed_by=dealer)
