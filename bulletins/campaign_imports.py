"""A technical campaign's affected vehicles as a file (issue 14, item 7): CSV or XLSX with a
`vin` column and an optional `dealer` column (the responsible dealer's code), through the strict
import engine (dms.imports): every cell read as text (a VIN stored as a number cell in a
workbook is refused, never turned back into digits), every row checked with dms.vin, errors by
row and column in the job page and downloadable, a dry run of the VINs added and removed, and
nothing loaded unless every row is valid.

The file is the campaign's whole list, as the pasted list is: applying replaces it through
`bulletins.campaigns.set_affected_vehicles`, which checks it all again in its transaction (a
vehicle repaired since the dry run cannot be dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer
from dms.imports.engine import Changes, Column, Errors, Importer, Progress, Table, register

from . import campaigns
from . import services as bulletin_services
from .models import TechnicalCampaign


@dataclass
class CheckedVehicles:
    vins: dict[str, int | None]  # VIN → responsible dealer id, file order
    rows: list[dict[str, str]]  # what set_affected_vehicles loads
    row_numbers: list[int]  # the file's row numbers of `rows`
    dealer_codes: dict[int, str]


@register
class CampaignVehiclesImporter(Importer):
    kind = "campaign_vehicles"
    label = gettext_lazy("Campaign: affected vehicles")
    description = gettext_lazy(
        "One VIN per row, optionally with the responsible dealer's code. The file replaces the "
        "campaign's list of affected vehicles; vehicles already repaired must stay in it."
    )
    columns = (
        # Longer than 17 on purpose: a wrong length gets dms.vin's own message, not a cut.
        Column("vin", cell="code", max_length=40, help=gettext_lazy("17 characters, as text")),
        Column(
            "dealer",
            required=False,
            cell="code",
            max_length=20,
            help=gettext_lazy("dealer code, optional"),
        ),
    )

    @classmethod
    def targets(cls) -> list[tuple[str, str]]:
        return [
            (str(pk), f"{cls.label}: {code} {title}")
            for pk, code, title in TechnicalCampaign.objects.exclude(
                status=TechnicalCampaign.Status.CLOSED
            )
            .order_by("code")
            .values_list("pk", "code", "title")
        ]

    def campaign(self) -> TechnicalCampaign:
        return TechnicalCampaign.objects.get(pk=int(self.target))

    def check_actor(self, actor: Any) -> None:
        bulletin_services._check_hq_author(actor)

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedVehicles:
        total = len(table.rows)
        progress(0, total, _("Checking rows"))
        rows = [row.values for row in table.rows]
        numbers = [row.number for row in table.rows]
        vins, refused = campaigns.check_vehicle_rows(rows, row_numbers=numbers)
        for error in refused:
            errors.add(error.row, error.column, error.message, error.value)
        if not errors:
            done = campaigns.repaired_vins(self.campaign())
            for vin in sorted(done - vins.keys()):
                errors.add(0, "vin", _("Already repaired, cannot be removed from the list."), vin)
        progress(total, total, _("Rows checked"))
        codes = {pk: code for code, pk in Dealer.objects.values_list("code", "pk")}
        return CheckedVehicles(vins=vins, rows=rows, row_numbers=numbers, dealer_codes=codes)

    def changes(self, checked: CheckedVehicles) -> Changes:
        changes = Changes()
        current = dict(self.campaign().vehicles.values_list("vin", "dealer_id"))
        for vin, dealer_id in checked.vins.items():
            code = checked.dealer_codes.get(dealer_id, "") if dealer_id else ""
            if vin not in current:
                changes.add_new(vin, code)
            elif current[vin] != dealer_id:
                before = checked.dealer_codes.get(current[vin], "") if current[vin] else ""
                changes.add_changed(vin, [("dealer", before, code)])
            else:
                changes.unchanged += 1
        for vin, dealer_id in current.items():
            if vin not in checked.vins:
                changes.add_removed(
                    vin, checked.dealer_codes.get(dealer_id, "") if dealer_id else ""
                )
        return changes

    def apply(self, checked: CheckedVehicles, *, actor: Any, job_id: int) -> dict[str, Any]:
        campaign = self.campaign()
        change = campaigns.set_affected_vehicles(
            actor=actor, campaign=campaign, rows=checked.rows, row_numbers=checked.row_numbers
        )
        return {
            "campaign_id": campaign.pk,
            "added": change.added,
            "removed": change.removed,
            "kept": change.kept,
            "note": _(
                "Affected vehicles of campaign %(code)s loaded: %(added)d added, %(removed)d "
                "removed, %(kept)d kept."
            )
            % {
                "code": campaign.code,
                "added": change.added,
                "removed": change.removed,
                "kept": change.kept,
            },
        }
