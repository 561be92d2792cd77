"""Reading what a page shows: navigation entries and visible text, not just status codes."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from typing import Any


class _NavParser(HTMLParser):
    """Collects sidebar entries: data-nav-item -> (enabled link?, title/tooltip)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        key = data.get("data-nav-item")
        if key:
            self.items[key] = {
                "link": tag == "a",
                "href": data.get("href"),
                "title": data.get("title") or "",
                "disabled": data.get("aria-disabled") == "true",
            }


def nav_items(html: str) -> dict[str, dict[str, Any]]:
    parser = _NavParser()
    parser.feed(html)
    return parser.items


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed (tags and attribute values removed)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html_lib.unescape(body))
