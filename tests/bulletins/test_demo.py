"""The demo's HQ information flow (issue 14, item 10): built through the services, with the
figures the issue asks for, and skipped on a second run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from bulletins import pricing
from bulletins.demo import seed_hq_information
from bulletins.models import (
    Bulletin,
    BulletinRecipient,
    CampaignVehicle,
    PriceListVersion,
    Promotion,
    TechnicalCampaign,
)
from dealers.models import Dealer
from dms.tenancy.context import as_dealers
from inventory.models import LabourOperation, Part, PartSupersession
from inventory.selectors import current_parts
from inventory.services import find_loop

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
@pytest.mark.usefixtures("price_reference_data")  # a transactional test may have flushed them
def test_the_demo_has_catalogue_promotions_bulletins_and_a_recall() -> None:
    call_command("seed_demo", "--no-funnel", "--quiet", stdout=StringIO())
    result = seed_hq_information(seed=3, now=NOW)
    assert not result.skipped
    assert Part.objects.count() == 3000
    assert Part.objects.filter(number__startswith="0").count() >= 900  # leading zeros kept
    links = dict(PartSupersession.objects.values_list("part__number", "replaced_by__number"))
    assert len(links) > 100 and find_loop(links) is None
    # Some chains are two replacements long and resolve to their last part.
    chained = [a for a, b in links.items() if b in links]
    assert chained
    assert LabourOperation.objects.count() == 24
    assert Promotion.objects.filter(status="published").count() == 3
    per_category = dict(Bulletin.objects.values_list("category").annotate(n=Count("id")))
    assert per_category == {"commercial": 12, "technical": 12, "process": 12, "recall": 13}
    with as_dealers(Dealer.objects.all()):
        rows = BulletinRecipient.objects.filter(bulletin__requires_ack=True)
        acked, total = rows.filter(acknowledged_version__gte=1).count(), rows.count()
    assert 0.3 < acked / total < 0.8  # mixed acknowledgement
    campaign = TechnicalCampaign.objects.get()
    assert campaign.status == "published" and campaign.bulletin is not None
    done = CampaignVehicle.objects.filter(completed_at__isnull=False).count()
    assert 0 < done < CampaignVehicle.objects.count()
    assert current_parts([chained[0]], on=dt.date(2030, 1, 1))[chained[0]].number != chained[0]
    # Two parts versions (the rise ten days ago is in force), labour, and the vehicles' rise ahead.
    parts_today = pricing.part_prices(NOW.date(), numbers=[chained[0]]).by_number[chained[0]]
    parts_before = pricing.part_prices(NOW.date() - dt.timedelta(days=30), numbers=[chained[0]])
    assert parts_today.retail == (
        parts_before.by_number[chained[0]].retail * Decimal("1.03")
    ).quantize(Decimal("0.01"))
    assert (
        PriceListVersion.objects.filter(price_list__kind="parts", status="published").count() == 2
    )
    assert pricing.version_on(NOW.date() + dt.timedelta(days=14), kind="vehicle").number == 2
    assert seed_hq_information(seed=3, now=NOW).skipped  # a second run changes nothing
    assert Part.objects.count() == 3000
