"""Test helpers shared by tests/api, tests/audit and tests/dealers: signed-in clients (session
with a verified second factor, as the security middleware demands of HQ roles and admins, or a
DRF token) and a few network builders."""

from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def session_client(user: Any, *, verified: bool = True) -> APIClient:
    """A client logged in by session (works for pages and the API)."""
    client = APIClient()
    client.force_login(user)
    if verified:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="default", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def token_client(user: Any) -> APIClient:
    """A client authenticated by a DRF token only (no session)."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    """The rows of a paginated API list response."""
    assert response.status_code == 200, response.content
    return response.json()["results"]


def table_html(response: Any) -> str:
    """The HTML of the page's data table only (not filter dropdowns or navigation)."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    start = html.find("<table")
    if start == -1:
        return ""
    return html[start : html.find("</table>", start)]


def absence_form(
    membership: Any, starts_on: str, ends_on: str, reason: str = "sick", **extra: str
) -> dict[str, Any]:
    """The fields of an absence, as the absence form and POST /api/absences/ take them."""
    return {
        "membership": membership.pk,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "reason": reason,
        **extra,
    }
