"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium, headless).
Never a downloaded browser: install Chromium with scripts/install_apt.sh (scripts/test.sh does).

The pages come from pytest-django's `live_server` (a real HTTP server in a thread, on a
transactional test database that the runtime role `dms_app` connects to, as in production).
Screenshots go to artifacts/screenshots/ (git-ignored; CI keeps them)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("DMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
# WhiteNoise warns when STATIC_ROOT is missing; the live server serves static files from the
# finders (staticfiles app), so an empty folder is all it needs.
Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> None:
    """A fresh in-memory cache per test: the per-IP login throttle lives in the cache, and the
    shared one (var/cache or Redis) keeps counting across test runs on the same machine."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"e2e-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Module scope on purpose: Playwright's sync API keeps an
    event loop marked as running in this thread for as long as it lives, which would break
    every later test that uses async_to_sync (Django's own handlers do)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: browser tests need Debian's chromium "
            "(bash scripts/install_apt.sh installs it)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # While that loop runs, Django's ORM (test data, assertions) refuses to run in this thread
    # unless told that this single-threaded use is fine; only for the browser's lifetime.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def signed_in_page(
    browser: Any,
    live_server: Any,
    user: Any,
    *,
    width: int = 1280,
    height: int = 900,
    path: str | None = None,
) -> Any:
    """A page in a new browser context already signed in as `user` (the session cookie of a
    test client's login, second factor included), at width × height, English. `page.js_errors`
    collects uncaught exceptions and console errors for tests that check them at a step; every
    browser test also fails on them at its end (tests/e2e/console.py)."""
    from urllib.parse import urlparse

    from tests.api.support import session_client

    client = session_client(user)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": urlparse(live_server.url).hostname,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.js_errors = errors
    if path is not None:
        page.goto(path)
    return page


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot, taken from the top: scrolled down (to a form's #anchor), the
    sticky top bar and menu would be drawn halfway down the picture."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path
