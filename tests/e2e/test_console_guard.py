"""The guard of every browser test (tests/e2e/console.py): a console error or an uncaught
exception in any page a test opens is caught, whichever fixture launched the browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import browser  # noqa: F401 (fixtures)
from tests.e2e.console import ConsoleErrors, watching

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.console_errors_allowed(r"deliberate")
def test_console_errors_and_uncaught_exceptions_are_caught(browser: Any, live_server: Any) -> None:  # noqa: F811
    errors = ConsoleErrors()
    with watching(errors):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.goto("/account/login/")
        page.evaluate("console.error('deliberate console error')")
        page.evaluate("setTimeout(() => { throw new Error('deliberate uncaught error'); }, 0)")
        page.wait_for_timeout(300)
        other = browser.new_page()  # a page with a context of its own is watched too
        other.goto(f"{live_server.url}/account/login/")
        other.evaluate("console.error('deliberate error in another page')")
        other.wait_for_timeout(100)
        other.close()
        context.close()
    found = " | ".join(errors.found)
    assert "deliberate console error" in found
    assert "deliberate uncaught error" in found
    assert "deliberate error in another page" in found
    assert len(errors.found) == 3, errors.found
