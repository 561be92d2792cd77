"""In a real browser: mandatory enrolment from the QR page, backup codes, lockout page and unlock."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.conftest import browser, page, screenshot  # noqa: F401 (fixtures)
from tests.factories import TEST_PASSWORD, hq_user, staff
from tests.security.conftest import make_dealer, post_credentials

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, username: str) -> None:  # noqa: F811
    page.goto("/account/login/")
    page.fill("[name='auth-username']", username)
    page.fill("[name='auth-password']", TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_hq_admin_enrols_from_the_qr_page_and_gets_backup_codes(page: Any) -> None:  # noqa: F811
    hq_user("hq_admin", username="hilde", first_name="Hilde", last_name="Haupt")

    log_in(page, "hilde")
    assert "/account/two_factor/setup/" in page.url
    expect(page.locator("body")).to_contain_text("Your role requires a second factor")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("img[alt='QR code for your authenticator app']")).to_be_visible()
    screenshot(page, "security-01-enrol-qr")

    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("[name='generator-token']", f"{totp(key):06d}")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("body")).to_contain_text("Two-factor authentication is on")

    page.get_by_role("link", name="Backup codes").click()
    page.get_by_role("button", name="Generate codes").click()
    codes = page.locator("[data-testid=backup-codes] li")
    expect(codes).to_have_count(10)
    screenshot(page, "security-02-backup-codes")


# The locked-out login answers 403 on purpose: the browser logs its status.
@pytest.mark.console_errors_allowed(r"status of 403 \(Forbidden\) \(http://[^/]+/account/login/\)")
def test_lockout_page_and_admin_unlock(page: Any) -> None:  # noqa: F811
    dealer = make_dealer(name="Autohaus Sonnenschein")
    staff(dealer, "consultant", username="lena", first_name="Lena", last_name="Lock")
    staff(dealer, "sales_manager", username="mia", first_name="Mia", last_name="Manager")
    for attempt in range(4):
        post_credentials(Client(), "lena", f"wrong-{attempt}")

    page.goto("/account/login/")
    page.fill("[name='auth-username']", "lena")
    page.fill("[name='auth-password']", "still-wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_contain_text("Account locked")
    expect(page.locator("body")).to_contain_text("ask your dealer admin")
    screenshot(page, "security-03-locked")

    log_in(page, "mia")
    page.goto("/security/locked/")
    expect(page.locator("[data-testid=locked-accounts]")).to_contain_text("Lena Lock")
    page.get_by_role("button", name="Approve unlock").click()
    expect(page.locator("body")).to_contain_text("A second colleague must approve")
    screenshot(page, "security-04-locked-accounts")
