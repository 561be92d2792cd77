"""Every browser test fails on a console error or an uncaught exception in any page it opened.

tests/conftest.py wraps Playwright's `Browser.new_context` and `Browser.new_page` for every test
(whoever launched the browser: tests/e2e's fixture or a module's own), so each context the test
opens reports its console. A CSP violation, a failed script, a 500 behind an htmx request: all
are console errors a user's browser shows and a test must not pass over.

A test that provokes an error on purpose (e.g. it opens a page that answers 403 to prove the
refusal) names what it expects with `@pytest.mark.console_errors_allowed(r"regex", ...)`;
anything else still fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ConsoleErrors:
    """The errors of every browser context opened while the test runs."""

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        self.found: list[str] = []
        self.allowed = [re.compile(pattern) for pattern in allowed]

    def watch(self, context: Any) -> Any:
        context.on("console", self._console)
        context.on("weberror", lambda error: self._add(f"uncaught: {error.error}"))
        return context

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        self._add(f"{message.text} ({where})" if where else message.text)

    def _add(self, text: str) -> None:
        if not any(pattern.search(text) for pattern in self.allowed):
            self.found.append(text)


@contextmanager
def watching(errors: ConsoleErrors) -> Iterator[ConsoleErrors]:
    """Wrap Browser.new_context / new_page while the test runs (restored afterwards)."""
    try:
        from playwright.sync_api import Browser
    except ImportError:  # no Playwright: there is no browser test either
        yield errors
        return
    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_context(self: Any, *args: Any, **kwargs: Any) -> Any:
        return errors.watch(new_context(self, *args, **kwargs))

    def watched_page(self: Any, *args: Any, **kwargs: Any) -> Any:
        page = new_page(self, *args, **kwargs)
        errors.watch(page.context)
        return page

    Browser.new_context = watched_context  # type: ignore[method-assign]
    Browser.new_page = watched_page  # type: ignore[method-assign]
    try:
        yield errors
    finally:
        Browser.new_context = new_context  # type: ignore[method-assign]
        Browser.new_page = new_page  # type: ignore[method-assign]
