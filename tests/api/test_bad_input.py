"""No API input makes a 500 (issue 11): date-times in offsets PostgreSQL refuses or out of
Python's calendar, days at the calendar's ends, NUL characters in bodies and query strings.
Each answers 400 with a message naming the problem, and nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead
from sales.models import Quote
from tests.api.support import results, token_client
from tests.factories import FollowUpFactory, TestDriveFactory
from tests.sales.conftest import Showroom, make_showroom

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def room() -> Showroom:
    return make_showroom()


def counts(room: Showroom) -> tuple[int, int, int]:
    with as_dealer(room.dealer):
        return Lead.objects.count(), Quote.objects.count(), Customer.objects.count()


def test_follow_up_due_before_in_a_minus_20_hours_offset_is_compared_in_utc(room: Showroom) -> None:
    lead = room.lead()
    with as_dealer(room.dealer):
        due = FollowUpFactory(lead=lead, due_at=dt.datetime(2026, 1, 2, 5, 0, tzinfo=UTC))
    client = token_client(room.manager)
    # 2026-01-01 10:00 at -20:00 is 2026-01-02 06:00 UTC: the follow-up (05:00 UTC) is before.
    after = client.get("/api/follow-ups/", {"due_before": "2026-01-01T10:00:00-20:00"})
    assert [row["id"] for row in results(after)] == [due.pk]
    # 08:00 at -20:00 is 04:00 UTC: not yet due.
    before = client.get("/api/follow-ups/", {"due_before": "2026-01-01T08:00:00-20:00"})
    assert results(before) == []


def test_test_drive_starts_after_in_a_minus_20_hours_offset_is_compared_in_utc(
    room: Showroom,
) -> None:
    lead = room.lead()
    with as_dealer(room.dealer):
        drive = TestDriveFactory(
            lead=lead, vehicle=room.car, starts_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        )
    client = token_client(room.manager)
    # 2026-03-01 11:00 at -20:00 is 2026-03-02 07:00 UTC.
    hit = client.get("/api/test-drives/", {"starts_after": "2026-03-01T11:00:00-20:00"})
    assert [row["id"] for row in results(hit)] == [drive.pk]
    miss = client.get("/api/test-drives/", {"starts_before": "2026-03-01T11:00:00-20:00"})
    assert results(miss) == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/test-drives/?starts_after=9999-12-31T23:00:00-05:00", "starts_after"),
        ("/api/test-drives/?starts_before=0001-01-01T00:00:00%2B05:00", "starts_before"),
        ("/api/follow-ups/?due_before=9999-12-31T23:59:59-15:00", "due_before"),
    ],
)
def test_date_times_beyond_the_calendar_in_utc_are_refused_clearly(
    room: Showroom, url: str, field: str
) -> None:
    response = token_client(room.manager).get(url)
    assert response.status_code == 400
    assert "between the years 1 and 9999" in response.json()[field][0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_visit_days_at_the_ends_of_the_calendar_are_refused_clearly(
    room: Showroom, day: str
) -> None:
    response = token_client(room.manager).get("/api/visits/", {"date": day})
    assert response.status_code == 400
    assert response.json() == {"date": ["Choose a day between 1900-01-01 and 2999-12-31."]}


def test_visit_day_inside_the_bounds_still_filters(room: Showroom) -> None:
    response = token_client(room.manager).get("/api/visits/", {"date": "2999-12-31"})
    assert results(response) == []


NUL_MESSAGE = "Text may not contain NUL characters (\\x00)."


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/leads/", {"source": "we\x00b", "contact": {"last_name": "Nul"}}),
        ("/api/leads/", {"source": "web", "contact": {"last_name": "N\x00ul"}}),
        ("/api/quotes/", {"lead": 1, "trim": "A3-CORE\x00"}),
        ("/api/quotes/", {"lead": 1, "trim": "A3-CORE", "options": ["\x00"]}),
        ("/api/customers/", {"last_name": "Nul\x00"}),
        ("/api/customers/", {"last_name": "Nul", "consents": {"\x00": True}}),
    ],
)
def test_nul_characters_in_a_json_body_are_refused_and_nothing_changes(
    room: Showroom, url: str, body: dict[str, Any]
) -> None:
    if url == "/api/quotes/":
        body = {**body, "lead": room.lead(stage="quote").pk}
    before = counts(room)
    response = token_client(room.manager).post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}
    assert counts(room) == before


def test_nul_characters_in_a_form_body_are_refused(room: Showroom) -> None:
    before = counts(room)
    response = token_client(room.manager).post(
        "/api/customers/", {"last_name": "Nul\x00"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}
    response = token_client(room.manager).post(
        "/api/customers/",
        "last_name=Nul%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert counts(room) == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/leads/?source=we%00b",
        "/api/quotes/?status=draft%00",
        "/api/absences/?reason=sick%00",
        "/api/follow-ups/?kind%00=callback",
    ],
)
def test_nul_characters_in_a_query_string_are_refused(room: Showroom, url: str) -> None:
    response = token_client(room.manager).get(url)
    assert response.status_code == 400
    assert list(response.json().values()) == [[NUL_MESSAGE]]


def test_a_clean_body_still_creates(room: Showroom) -> None:
    before = counts(room)
    response = token_client(room.manager).post(
        "/api/customers/", {"last_name": "Clean", "phone": "+4915111122233"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert counts(room)[2] == before[2] + 1
