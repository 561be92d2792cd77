"""Reads about technical campaigns: the open campaigns of one exact VIN (workshop check-in,
stock delivery), and completion figures per region and dealer (HQ, regional managers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from dealers.models import Dealer
from dms.vin import validate_vin

from .models import CampaignVehicle, TechnicalCampaign


def open_campaigns_for_vin(vin: str) -> list[TechnicalCampaign]:
    """The published campaigns whose work on this VIN is still to do (one exact VIN, never a
    list: the affected-vehicle lists are read one vehicle at a time)."""
    return list(
        TechnicalCampaign.objects.filter(
            status=TechnicalCampaign.Status.PUBLISHED,
            vehicles__vin=validate_vin(vin),
            vehicles__completed_at__isnull=True,
        )
        .select_related("labour_operation")
        .order_by("published_at")
    )


def is_stop_sale(vin: str) -> bool:
    """Whether a vehicle may not be delivered: an open stop-sale campaign affects it."""
    return any(c.stop_sale for c in open_campaigns_for_vin(vin))


@dataclass(frozen=True)
class Completion:
    affected: int
    completed: int

    @property
    def share(self) -> float:
        return self.completed / self.affected if self.affected else 0.0


@dataclass(frozen=True)
class CampaignProgress:
    total: Completion
    by_region: dict[str, Completion]  # region name → figures
    by_dealer: dict[str, Completion]  # dealer code → figures
    unassigned: Completion  # VINs with no responsible dealer


def campaign_progress(*, campaign: TechnicalCampaign, dealer_ids: Iterable[int] | None = None
                      ) -> CampaignProgress:  # fmt: skip
    """Affected and completed vehicles per responsible dealer and region (one query), limited to
    `dealer_ids` when given (a regional manager's dealers). A vehicle counts as completed
    wherever the work was done."""
    rows = CampaignVehicle.objects.filter(campaign=campaign)
    if dealer_ids is not None:
        rows = rows.filter(dealer_id__in=list(dealer_ids))
    grouped = (
        rows.values("dealer_id")
        .order_by("dealer_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
    )
    figures = {r["dealer_id"]: Completion(r["n"], r["done"]) for r in grouped}
    dealers = Dealer.objects.select_related("region").in_bulk([k for k in figures if k])
    by_dealer: dict[str, Completion] = {}
    by_region: dict[str, Completion] = {}
    for pk, f in sorted(figures.items(), key=lambda kv: dealers[kv[0]].code if kv[0] else ""):
        if pk is None:
            continue
        dealer = dealers[pk]
        by_dealer[dealer.code] = f
        region = dealer.region.name
        old = by_region.get(region, Completion(0, 0))
        by_region[region] = Completion(old.affected + f.affected, old.completed + f.completed)
    unassigned = figures.get(None, Completion(0, 0))
    total = Completion(
        sum(f.affected for f in figures.values()), sum(f.completed for f in figures.values())
    )
    return CampaignProgress(total, dict(sorted(by_region.items())), by_dealer, unassigned)
