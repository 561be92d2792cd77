"""Login → second factor → dashboard, in a real browser, plus the ways it must refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, DealerFactory, RegionFactory, hq_user, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KNOWN_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, hex


def with_totp(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True, key=KNOWN_KEY)


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def submit(page: Any, field: str) -> None:
    """Submit the wizard form holding `field` with its primary button (not "Back")."""
    form = page.locator(f"form:has([name='{field}'])")
    buttons = form.locator(
        "button[type=submit]:not([name=wizard_goto_step]):not([name=challenge_device])"
    )
    if buttons.count():
        buttons.last.click()
    else:
        page.locator(f"[name='{field}']").press("Enter")


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/account/login/")
    page.fill("[name='auth-username']", username)
    page.fill("[name='auth-password']", password)
    submit(page, "auth-password")


def test_login_with_totp_reaches_the_dealer_dashboard(page: Any, live_server: Any) -> None:
    dealer = DealerFactory.create(
        code="DE900", name="Autohaus Sonnenschein", city="Leipzig", street="Hauptstr. 1"
    )
    DealerFactory.create(code="FR900", name="Garage Lumière")  # another dealer: never shown
    user = staff(dealer, "dealer_admin", username="greta", first_name="Greta", last_name="Lind")
    device = with_totp(user)

    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/account/login/?next=/")
    screenshot(page, "01-login")

    log_in(page, "greta", TEST_PASSWORD)
    token_field = page.locator("[name='token-otp_token']")
    expect(token_field).to_be_visible()
    screenshot(page, "02-second-factor")

    token_field.fill(current_code(device))
    submit(page, "token-otp_token")

    expect(page.locator("body")).to_contain_text("Greta Lind")
    expect(page.locator("body")).to_contain_text("Autohaus Sonnenschein")
    expect(page.locator("body")).to_contain_text("DE900")
    expect(page.locator("body")).not_to_contain_text("Garage Lumière")
    assert "/account/login" not in page.url
    screenshot(page, "03-dashboard-dealer-admin")


def test_hq_regional_manager_sees_own_regions_dealers(page: Any) -> None:
    north, south = (
        RegionFactory.create(code="north", name="North"),
        RegionFactory.create(code="south", name="South"),
    )
    DealerFactory.create(code="DE901", name="Autohaus Nordlicht", region=north)
    DealerFactory.create(code="IT901", name="Concessionaria Sole", region=south)
    manager = hq_user(
        "hq_regional_manager", [north], username="rita", first_name="Rita", last_name="Nord"
    )
    device = with_totp(manager)

    log_in(page, "rita", TEST_PASSWORD)
    page.locator("[name='token-otp_token']").fill(current_code(device))
    submit(page, "token-otp_token")

    body = page.locator("body")
    expect(body).to_contain_text("Rita Nord")
    expect(body).to_contain_text("North")
    expect(body).not_to_contain_text("South")
    expect(body).not_to_contain_text("Concessionaria Sole")
    screenshot(page, "04-dashboard-regional-manager")


def test_wrong_password_is_refused_with_a_message(page: Any) -> None:
    dealer = DealerFactory.create()
    staff(dealer, "consultant", username="carl")

    log_in(page, "carl", "not-the-password")
    expect(page.locator("[name='auth-password']")).to_be_visible()
    expect(page.locator("body")).to_contain_text("enter a correct username and password")
    screenshot(page, "05-wrong-password")

    page.goto("/")
    assert "/account/login/" in page.url  # still not signed in


def test_wrong_second_factor_is_refused(page: Any) -> None:
    user = staff(DealerFactory.create(), "dealer_admin", username="dora")
    device = with_totp(user)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    log_in(page, "dora", TEST_PASSWORD)
    page.locator("[name='token-otp_token']").fill(wrong)
    submit(page, "token-otp_token")
    expect(page.locator("[name='token-otp_token']")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Invalid token")
    screenshot(page, "06-wrong-token")

    page.goto("/")
    assert "/account/login/" in page.url
