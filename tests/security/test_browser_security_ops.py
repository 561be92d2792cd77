"""In a real browser: a dealer admin goes from the staff list to a user's security page, ends a
session, and resets the second factor after a failed and then a correct re-verification."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from dms.security import services
from dms.security.models import HashedBackupCode
from tests.e2e.conftest import browser, page, screenshot  # noqa: F401 (fixtures)
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import add_totp, make_dealer, post_credentials, totp_now

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# The failed re-verification answers 400 on purpose (a password form: not kept for a redirect).
@pytest.mark.console_errors_allowed(
    r"status of 400 \(Bad Request\) \(http://[^/]+/security/users/\d+/\)"
)
def test_dealer_admin_manages_a_users_security(page: Any) -> None:  # noqa: F811
    dealer = make_dealer(name="Autohaus Sonnenschein")
    admin = staff(dealer, "dealer_admin", username="ada", first_name="Ada", last_name="Admin")
    carl = staff(dealer, "consultant", username="carl", first_name="Carl", last_name="Sales")
    tablet = Client(HTTP_USER_AGENT="Mozilla/5.0 (Showroom tablet)")
    post_credentials(tablet, "carl", TEST_PASSWORD, ip="10.1.2.3")
    add_totp(carl)
    services.generate_backup_codes(user=carl, request=None)
    device = add_totp(admin)
    admin_codes = services.generate_backup_codes(user=admin, request=None)

    page.goto("/account/login/")
    page.fill("[name='auth-username']", "ada")
    page.fill("[name='auth-password']", TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.fill("[name='token-otp_token']", totp_now(device))
    page.locator("main form button[type=submit].btn-primary").click()
    expect(page.locator("body")).not_to_contain_text("Invalid token")

    page.goto("/network/staff/")
    page.locator("tr", has_text="Carl").get_by_role("link", name="Change").click()
    page.locator("[data-testid=user-security-link]").click()
    expect(page.locator("h1")).to_contain_text("User security")
    expect(page.locator("[data-testid=security-sessions]")).to_contain_text("Showroom tablet")
    expect(page.locator("[data-testid=backup-codes-left]")).to_have_text("10")
    screenshot(page, "security-ops-01-user-page")

    page.locator("[data-testid=reset-2fa-open]").click()
    page.fill("[name='password']", TEST_PASSWORD)
    page.fill("[name='otp_token']", "000000")
    page.locator("[data-testid=action-reset-2fa]").click()
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("Confirmation failed")
    expect(page.locator("[name='otp_token']")).to_have_value("")  # a one-time code is not echoed
    screenshot(page, "security-ops-02-reverify-failed")
    assert HashedBackupCode.objects.filter(user=carl).count() == 10

    page.fill("[name='password']", TEST_PASSWORD)
    page.fill("[name='otp_token']", admin_codes[0])
    page.locator("[data-testid=action-reset-2fa]").click()
    expect(page.locator("body")).to_contain_text("is reset")
    assert not HashedBackupCode.objects.filter(user=carl).exists()

    page.locator("[data-testid=action-end-session]").first.click()
    expect(page.locator("body")).to_contain_text("The session has ended.")
    screenshot(page, "security-ops-03-after-actions")
    response = tablet.get("/account/two_factor/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
