"""Dates and times as the reader expects them (issue 13, item 2): one format per language
(dms/formats/), a 24-hour clock, the year shown whenever a day is not in the reader's current year
(in the reader's zone), and a moment of another dealer named with its zone (dms.ui.dates,
`{% load clock %}`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format

from dealers.clock import home_zone, importer_zone, reader_zone
from dealers.selectors import NO_ACCESS, Access
from dealers.templatetags.clock import dealer_time
from dms.ui.dates import human_date, human_datetime, human_time
from tests.factories import DealerFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
# Monday 7 December 2026, 13:05 UTC: 14:05 in Berlin and Warsaw (winter, UTC+1).
NOW = dt.datetime(2026, 12, 7, 13, 5, tzinfo=dt.UTC)
AFTERNOON = dt.datetime(2026, 12, 7, 14, 5, tzinfo=BERLIN)


@pytest.mark.parametrize("language", ["en", "ja", "zh-hans"])
def test_every_named_format_of_a_language_writes_a_date_one_way(language: str) -> None:
    with translation.override(language):
        assert date_format(AFTERNOON, "SHORT_DATE_FORMAT") == date_format(AFTERNOON, "DATE_FORMAT")
        assert date_format(AFTERNOON, "SHORT_DATETIME_FORMAT") == date_format(
            AFTERNOON, "DATETIME_FORMAT"
        )
        assert time_format(AFTERNOON, "TIME_FORMAT") == "14:05"
        assert date_format(AFTERNOON, "DATE_FORMAT") in date_format(AFTERNOON, "DATETIME_FORMAT")


def test_english_is_written_as_in_europe_on_a_24_hour_clock() -> None:
    with translation.override("en"):
        assert date_format(AFTERNOON, "DATE_FORMAT") == "7 Dec 2026"
        assert date_format(AFTERNOON, "SHORT_DATETIME_FORMAT") == "7 Dec 2026, 14:05"
        evening = AFTERNOON.replace(hour=21, minute=30)
        shown = date_format(evening, "DATETIME_FORMAT") + human_datetime(evening, zone=BERLIN)
        assert "21:30" in shown
        assert "p.m" not in shown and "a.m" not in shown and "PM" not in shown
    with translation.override("ja"):
        assert date_format(AFTERNOON, "DATE_FORMAT") == "2026年12月7日"


@time_machine.travel(NOW, tick=False)
def test_the_year_is_shown_when_the_day_is_not_in_this_year() -> None:
    with translation.override("en"), timezone.override(BERLIN):
        assert human_date(dt.date(2026, 12, 7)) == "7 Dec"
        assert human_date(dt.date(2026, 12, 7), weekday=True) == "Mon 7 Dec"
        # The planner's 2099 booking was shown as "Thu 1 Jan".
        assert human_date(dt.date(2099, 1, 1), weekday=True) == "Thu 1 Jan 2099"
        assert human_date(dt.date(2025, 12, 7)) == "7 Dec 2025"
        booking = dt.datetime(2099, 1, 1, 8, 0, tzinfo=dt.UTC)
        assert human_datetime(booking) == "1 Jan 2099, 09:00"
        assert human_datetime(booking, weekday=True) == "Thu 1 Jan 2099, 09:00"
        assert human_datetime(NOW) == "7 Dec, 14:05"
        assert human_time(NOW) == "14:05"
        assert human_datetime(None) == "" and human_date(None) == ""
    with translation.override("ja"), timezone.override(BERLIN):
        assert human_date(dt.date(2099, 1, 1)) == "2099年1月1日"
        assert human_date(dt.date(2026, 12, 7)) == "12月7日"
        assert human_datetime(NOW) == "12月7日 14:05"


@time_machine.travel(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False)
def test_this_year_is_the_readers_year_not_utcs() -> None:
    """At 23:30 UTC on New Year's Eve it is already 2027 in Berlin: 1 January needs no year
    there, and does in UTC."""
    new_year = dt.date(2027, 1, 1)
    with translation.override("en"):
        with timezone.override(BERLIN):
            assert human_date(new_year) == "1 Jan"
            assert human_date(dt.date(2026, 12, 31)) == "31 Dec 2026"
        with timezone.override(dt.UTC):
            assert human_date(new_year) == "1 Jan 2027"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_moment_of_another_dealer_names_its_zone() -> None:
    warsaw = DealerFactory(timezone="Europe/Warsaw")
    berlin = DealerFactory(timezone="Europe/Berlin")
    lisbon = DealerFactory(timezone="Europe/Lisbon")
    with translation.override("en"), timezone.override(BERLIN):
        assert dealer_time(NOW, berlin) == "7 Dec, 14:05"
        assert str(dealer_time(NOW, warsaw)).startswith("7 Dec, 14:05 <span")
        assert "Europe/Warsaw" in str(dealer_time(NOW, warsaw))
        assert "7 Dec, 13:05" in str(dealer_time(NOW, lisbon))
        assert "Europe/Lisbon" in str(dealer_time(NOW, lisbon))
        assert dealer_time(None, lisbon) == ""
        rendered = Template(
            "{% load clock %}{{ at|when }} · {{ at|day:'weekday' }} · {{ at|dealer_time:d }}"
        ).render(Context({"at": NOW, "d": lisbon}))
        assert rendered.startswith("7 Dec, 14:05 · Mon 7 Dec · 7 Dec, 13:05")


@pytest.mark.django_db
def test_the_reader_zone_is_the_dealers_or_the_importers(settings: object) -> None:
    warsaw = DealerFactory(timezone="Europe/Warsaw")
    staff_access = Access(user_id=1, dealer=warsaw, role="consultant", dealer_ids=(warsaw.pk,))
    hq_access = Access(user_id=2, role="hq_regional_manager", dealer_ids=(warsaw.pk,))
    hq_viewing = Access(user_id=2, role="hq_regional_manager", dealer=warsaw)
    assert str(reader_zone(staff_access)) == str(home_zone(staff_access)) == "Europe/Warsaw"
    assert str(reader_zone(hq_access)) == str(home_zone(hq_access)) == "Europe/Berlin"
    # HQ drilled into a dealer reads that dealer's clock; its own stays the importer's.
    assert str(reader_zone(hq_viewing)) == "Europe/Warsaw"
    assert str(home_zone(hq_viewing)) == "Europe/Berlin"
    assert str(reader_zone(NO_ACCESS)) == "Europe/Berlin"
    settings.DMS_IMPORTER_TIME_ZONE = "Asia/Tokyo"  # type: ignore[attr-defined]
    assert str(importer_zone()) == "Asia/Tokyo"
    settings.DMS_IMPORTER_TIME_ZONE = "Mars/Olympus"  # type: ignore[attr-defined]
    assert str(importer_zone()) == "UTC"  # a typo in the setting breaks no page
