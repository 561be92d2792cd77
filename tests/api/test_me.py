"""/api/me/ for each kind of user, by session and by token; schema and docs."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dealers.roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS
from tests.api.support import session_client, token_client
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = pytest.mark.django_db


def test_me_for_a_consultant_by_session() -> None:
    dealer = DealerFactory(code="D0042", name="Autohaus Nord")
    user = staff(dealer, "consultant", first_name="Anna", last_name="Berg")
    response = session_client(user, verified=False).get("/api/me/")
    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": user.pk, "username": user.username, "name": "Anna Berg", "language": "en"},
        "role": "consultant",
        "dealer": {"id": dealer.pk, "code": "D0042", "name": "Autohaus Nord"},
        "hq_scope": None,
        "capabilities": sorted(DEALER_ROLE_CAPS["consultant"]),
    }


def test_me_for_a_regional_manager_lists_only_their_regions() -> None:
    north, south, west = RegionFactory(code="north"), RegionFactory(code="south"), RegionFactory()
    DealerFactory(region=north), DealerFactory(region=north), DealerFactory(region=south)
    DealerFactory(region=west)
    manager = hq_user("hq_regional_manager", regions=[north, south], preferred_language="ja")
    data = session_client(manager).get("/api/me/").json()
    assert data["role"] == "hq_regional_manager"
    assert data["dealer"] is None
    assert data["hq_scope"] == {
        "role": "hq_regional_manager",
        "region_codes": ["north", "south"],
        "dealer_count": 3,
    }
    assert data["user"]["language"] == "ja"
    assert data["capabilities"] == sorted(HQ_ROLE_CAPS["hq_regional_manager"])


def test_me_for_an_hq_admin_covers_the_whole_network() -> None:
    regions = [RegionFactory(), RegionFactory()]
    for region in regions:
        DealerFactory(region=region)
    admin = hq_user("hq_admin")
    data = token_client(admin).get("/api/me/").json()
    assert data["role"] == "hq_admin"
    assert data["hq_scope"]["dealer_count"] == 2
    assert data["hq_scope"]["region_codes"] == sorted(str(r.code) for r in regions)
    assert "network.admin" in data["capabilities"]


def test_token_auth_works_and_bad_or_disabled_tokens_are_refused() -> None:
    dealer = DealerFactory()
    user = staff(dealer, "sales_manager")
    client = token_client(user)
    assert client.get("/api/me/").json()["dealer"]["id"] == dealer.pk

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = bad.get("/api/me/")
    # 403 rather than 401: SessionAuthentication is listed first, and DRF takes the
    # WWW-Authenticate challenge from the first class.
    assert refused.status_code in (401, 403)
    assert "Invalid token" in refused.json()["detail"]

    user.is_active = False
    user.save(update_fields=["is_active"])
    gone = client.get("/api/me/")
    assert gone.status_code in (401, 403)
    assert "username" not in gone.content.decode()


def test_anonymous_callers_get_nothing() -> None:
    response = APIClient().get("/api/me/")
    assert response.status_code in (401, 403)
    assert "username" not in response.content.decode()


def test_a_token_is_not_a_session_and_a_session_needs_no_token() -> None:
    dealer = DealerFactory()
    user = staff(dealer, "consultant")
    assert not Token.objects.filter(user=user).exists()
    assert session_client(user).get("/api/me/").status_code == 200


def test_schema_and_docs_are_served_without_a_cdn() -> None:
    user = staff(DealerFactory(), "consultant")
    client = session_client(user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/absences/" in schema.content and b"/api/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "https://" not in html
    assert 'src="/static/' in html
    # The init script is a separate same-origin file (CSP script-src 'self'), not inline.
    assert "<script>" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_schema_is_not_public() -> None:
    assert APIClient().get("/api/schema/").status_code in (401, 403)
