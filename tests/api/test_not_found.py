"""A URL no route matches: JSON under /api/ (as the schema declares every 404), the styled page
elsewhere; neither lists the URL patterns."""

from __future__ import annotations

import pytest

from tests.api.support import session_client
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


def test_unroutable_api_path_answers_json_404() -> None:
    client = session_client(staff(DealerFactory(), "consultant"))
    response = client.get("/api/absences/1.5e-3/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_unroutable_page_answers_the_styled_404() -> None:
    client = session_client(staff(DealerFactory(), "consultant"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"api/schema" not in response.content  # no URL map
