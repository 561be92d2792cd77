"""No page offers a link its reader may not open.

For every role, starting from the dashboard, follow the links the pages show (same site, GET,
breadth first, a bounded number of pages) and fail on any that answers 403 (a menu entry, button
or row link the route's declaration refuses to this role) or a server error. The world is the
two-dealer world of the tenancy tests: every role works at dealer A, HQ drilled into A.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urlparse

import pytest

from dealers.roles import DealerRole

from .clients import signed_in
from .world import World

ROLES = [*DealerRole.values, "hq_regional_manager", "hq_admin"]
MAX_PAGES = 120
HREF = re.compile(r'href="([^"]+)"')
# Links that are not pages to read: leaving, downloads that build files, the admin (own gate).
SKIP = re.compile(r"^/(static/|security/logout/|admin/|api/|i18n/|favicon\.ico)|\.(pdf|csv|xlsx)$")


def _links(html: str) -> list[str]:
    found = []
    for raw in HREF.findall(html):
        url = urldefrag(unescape(raw)).url
        parsed = urlparse(url)
        if parsed.scheme or parsed.netloc or not url.startswith("/") or SKIP.search(parsed.path):
            continue
        found.append(url)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_to_a_page_its_reader_may_not_open(world_db: World, role: str) -> None:
    client = signed_in(world_db, role)
    seen: set[str] = {"/"}
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    problems: list[str] = []
    pages = 0
    while queue and pages < MAX_PAGES:
        url, came_from = queue.popleft()
        response = client.get(url)
        pages += 1
        status = response.status_code
        if status == 403 or status >= 500:
            problems.append(f"{url} (linked from {came_from}): {status}")
            continue
        if status != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode()):
            if link not in seen:
                seen.add(link)
                queue.append((link, url))
    assert pages > 1, f"{role}: the dashboard links to nothing"
    assert not problems, f"{role} is offered links it may not open:\n" + "\n".join(problems)
