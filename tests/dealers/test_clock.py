"""One dealer clock (dealers/clock.py): the dealer's zone, now and today, computed in one place.
Frozen moments where the dealers' dates differ: a Tokyo dealer is already in tomorrow, an Azores
dealer still in yesterday."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from dealers.clock import dealer_now, dealer_today, dealer_zone, today_in, zone_named
from tests.factories import DealerFactory

MOMENT = dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.UTC)  # Tokyo: 2 March; Azores: 1 March


def test_an_unknown_or_missing_zone_is_utc() -> None:
    assert str(zone_named("Mars/Olympus")) == "UTC"
    assert str(zone_named("")) == "UTC"
    assert str(zone_named(None)) == "UTC"
    assert str(dealer_zone(None)) == "UTC"


@pytest.mark.django_db
@time_machine.travel(MOMENT, tick=False)
def test_each_dealer_has_its_own_today() -> None:
    tokyo = DealerFactory(timezone="Asia/Tokyo")
    azores = DealerFactory(timezone="Atlantic/Azores")
    assert dealer_today(tokyo) == dt.date(2027, 3, 2)
    assert dealer_today(azores) == dt.date(2027, 3, 1)
    assert dealer_today(tokyo.pk) == dt.date(2027, 3, 2)  # by id, as tasks hold them
    assert dealer_now(azores).hour == 22 and dealer_now(azores).utcoffset() == dt.timedelta(
        hours=-1
    )
    assert today_in("Asia/Tokyo") == dt.date(2027, 3, 2)
    earlier = MOMENT - dt.timedelta(hours=12)
    assert dealer_today(tokyo, earlier) == dt.date(2027, 3, 1)  # 20:30 in Tokyo
    assert dealer_today(azores, earlier) == dt.date(2027, 3, 1)


def test_no_module_builds_a_dealer_zone_of_its_own() -> None:
    """A dealer's zone or date computed elsewhere drifts (UTC fallbacks, unknown names): every
    module asks dealers.clock. Migrations keep their own frozen code."""
    root = Path(settings.BASE_DIR)
    pattern = re.compile(r"ZoneInfo\(\s*[a-z_.]*timezone")
    offenders = [
        str(path.relative_to(root))
        for app in ("dealers", "leads", "sales", "reports", "dms", "bulletins", "inventory")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "clock.py"
        and pattern.search(path.read_text())
    ]
    assert not offenders, f"build the dealer's zone with dealers.clock: {offenders}"
