"""An ordered lead waits for delivery: the nightly pooling must never take it from its owner."""

import datetime as dt

import pytest
from django.utils import timezone

from dms.tenancy.context import as_dealer
from leads.models import Lead, Stage
from leads.services.leads import pool_stale_leads
from tests.factories import DealerFactory, LeadFactory, staff


@pytest.mark.django_db
def test_ordered_lead_is_not_pooled_but_stale_open_lead_is():
    dealer = DealerFactory()
    consultant = staff(dealer, "consultant")
    long_ago = timezone.now() - dt.timedelta(days=400)
    with as_dealer(dealer):
        ordered = LeadFactory(
            customer__dealer=dealer, consultant=consultant, stage=Stage.ORDER, grade="O"
        )
        stale = LeadFactory(customer__dealer=dealer, consultant=consultant, stage=Stage.VISITED)
        Lead.objects.filter(pk__in=[ordered.pk, stale.pk]).update(
            last_activity_at=long_ago, created_at=long_ago
        )
        assert pool_stale_leads(dealer_id=dealer.pk) == 1
        ordered.refresh_from_db()
        stale.refresh_from_db()
    assert not ordered.in_pool and ordered.consultant == consultant
    assert stale.in_pool
