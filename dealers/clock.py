"""The dealer's clock: its time zone, its "now" and its "today". The one place that computes them:
services, selectors, tasks, views and templates ask here, never build a zone or a date of their
own. A dealer in Tokyo starts its day before Berlin, one on the Azores after UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from .models import Dealer

UTC = zoneinfo.ZoneInfo("UTC")


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """A time zone by its name; UTC when unset or unknown (a typo in HQ's dealer form must not
    break the dealer's pages)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def dealer_zone(dealer: Dealer | int | None) -> zoneinfo.ZoneInfo:
    """The dealer's time zone: of a Dealer, or of a dealer id (one small query, for tasks that
    hold ids); UTC without a dealer."""
    if dealer is None:
        return UTC
    if isinstance(dealer, int):
        from .models import Dealer

        name = Dealer.objects.filter(pk=dealer).values_list("timezone", flat=True).first()
        return zone_named(name)
    return zone_named(dealer.timezone)


def dealer_now(dealer: Dealer | int | None, now: dt.datetime | None = None) -> dt.datetime:
    """`now` (default: this moment) as the dealer's wall clock shows it."""
    return timezone.localtime(now or timezone.now(), dealer_zone(dealer))


def dealer_today(dealer: Dealer | int | None, now: dt.datetime | None = None) -> dt.date:
    """The dealer's own date at `now` (default: this moment)."""
    return dealer_now(dealer, now).date()


def day_start(dealer: Dealer | int | None, day: dt.date) -> dt.datetime:
    """The first moment of `day` on the dealer's wall clock (a day is 23 or 25 hours long on DST
    days: the next day's start is its end). Built, never converted, so 9999-12-31 west of UTC
    compares without overflowing."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dealer_zone(dealer))


def today_in(zone_name: str | None, now: dt.datetime | None = None) -> dt.date:
    """The date in a zone given by name, for loops that already hold each dealer's zone name."""
    return (now or timezone.now()).astimezone(zone_named(zone_name)).date()


def importer_zone() -> zoneinfo.ZoneInfo:
    """HQ's own zone (settings.DMS_IMPORTER_TIME_ZONE): HQ users belong to no dealer."""
    from django.conf import settings

    return zone_named(getattr(settings, "DMS_IMPORTER_TIME_ZONE", "UTC"))


def home_zone(access: Any) -> zoneinfo.ZoneInfo:
    """The reader's own zone: a dealer user's dealer's, an HQ user's the importer's (users have
    no zone of their own; HQ sits with the importer)."""
    if access is not None and not access.is_hq and access.dealer is not None:
        return dealer_zone(access.dealer)
    return importer_zone()


def reader_zone(access: Any) -> zoneinfo.ZoneInfo:
    """The zone a request's times are shown in (the tenancy middleware activates it): the
    dealer's being worked in or, for HQ, drilled into; HQ's own on pages of no one dealer.
    Rows of other dealers on mixed pages are shown in their own zone (`dealer_time`)."""
    if access is not None and access.dealer is not None:
        return dealer_zone(access.dealer)
    return importer_zone()
